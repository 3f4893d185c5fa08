#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

// The picture size each SPS in an Annex-B access unit declares, checked before openh264 sees
// it: the decoder would allocate its pictures (several, at 1.5 bytes a pixel) for any size the
// sender names. Returns an error for an SPS over `max_pixels` or one too damaged to read.
std::string CheckSpsSizes(const uint8_t* data, size_t size, double max_pixels);
