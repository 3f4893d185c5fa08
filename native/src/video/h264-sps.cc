#include "h264-sps.h"
#include <vector>

// H.264 (ITU-T H.264 7.3.2.1.1) read only as far as pic_height_in_map_units and frame_mbs_only.

namespace {

// Bits of an RBSP (emulation-prevention bytes already removed); reading past the end fails.
class Bits {
 public:
  explicit Bits(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}

  bool Bit(uint32_t* out) {
    if (pos_ >= bytes_.size() * 8) return false;
    *out = (bytes_[pos_ / 8] >> (7 - pos_ % 8)) & 1;
    pos_++;
    return true;
  }

  bool Skip(uint32_t n) {
    uint32_t b;
    for (uint32_t i = 0; i < n; i++)
      if (!Bit(&b)) return false;
    return true;
  }

  // ue(v): at most 31 leading zeros (a bigger value is no size H.264 has).
  bool Ue(uint32_t* out) {
    uint32_t zeros = 0, b = 0;
    while (true) {
      if (!Bit(&b)) return false;
      if (b == 1) break;
      if (++zeros > 31) return false;
    }
    uint64_t value = 0;
    for (uint32_t i = 0; i < zeros; i++) {
      if (!Bit(&b)) return false;
      value = value << 1 | b;
    }
    value += (uint64_t(1) << zeros) - 1;
    if (value > 0xffffffffu) return false;
    *out = uint32_t(value);
    return true;
  }

  bool Se() {
    uint32_t ignored;
    return Ue(&ignored);
  }

 private:
  const std::vector<uint8_t>& bytes_;
  size_t pos_ = 0;
};

bool HighProfile(uint32_t profile) {
  switch (profile) {
    case 100: case 110: case 122: case 244: case 44: case 83: case 86: case 118: case 128: case 138: case 139: case 134: case 135:
      return true;
    default:
      return false;
  }
}

// The SPS's width * height in pixels (an upper bound: cropping ignored), or false if unreadable.
bool SpsPixels(const std::vector<uint8_t>& rbsp, double* pixels) {
  Bits bits(rbsp);
  uint32_t profile = 0, v = 0;
  for (int i = 0; i < 8; i++) {
    if (!bits.Bit(&v)) return false;
    profile = profile << 1 | v;
  }
  if (!bits.Skip(16) || !bits.Ue(&v)) return false;  // constraint flags, level; seq_parameter_set_id
  if (HighProfile(profile)) {
    uint32_t chroma_format = 0;
    if (!bits.Ue(&chroma_format)) return false;
    if (chroma_format == 3 && !bits.Skip(1)) return false;
    uint32_t ignored, scaling_present;
    if (!bits.Ue(&ignored) || !bits.Ue(&ignored) || !bits.Skip(1) || !bits.Bit(&scaling_present)) return false;
    if (scaling_present == 1) {
      for (int list = 0; list < (chroma_format != 3 ? 8 : 12); list++) {
        uint32_t present;
        if (!bits.Bit(&present)) return false;
        if (present == 0) continue;
        // Each delta is an se(v), and a next scale of 0 ends the list early: the values are needed.
        int last = 8, next = 8;
        for (int j = 0; j < (list < 6 ? 16 : 64) && next != 0; j++) {
          uint32_t code;
          if (!bits.Ue(&code)) return false;
          int delta = (code & 1) ? int((code + 1) / 2) : -int(code / 2);
          next = (last + delta + 256) % 256;
          if (next != 0) last = next;
        }
      }
    }
  }
  uint32_t poc_type;
  if (!bits.Ue(&v) || !bits.Ue(&poc_type)) return false;  // log2_max_frame_num_minus4
  if (poc_type == 0) {
    if (!bits.Ue(&v)) return false;
  } else if (poc_type == 1) {
    uint32_t cycle;
    if (!bits.Skip(1) || !bits.Se() || !bits.Se() || !bits.Ue(&cycle) || cycle > 255) return false;
    for (uint32_t i = 0; i < cycle; i++)
      if (!bits.Se()) return false;
  }
  uint32_t width_mbs, height_units, frame_mbs_only;
  if (!bits.Ue(&v) || !bits.Skip(1) || !bits.Ue(&width_mbs) || !bits.Ue(&height_units) || !bits.Bit(&frame_mbs_only)) return false;
  *pixels = (double(width_mbs) + 1) * 16 * (double(height_units) + 1) * 16 * (2 - frame_mbs_only);
  return true;
}

}  // namespace

std::string CheckSpsSizes(const uint8_t* data, size_t size, double max_pixels) {
  for (size_t i = 0; i + 3 < size; i++) {
    if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1 || (data[i + 3] & 0x1f) != 7) continue;
    // The SPS's RBSP, without emulation-prevention bytes (00 00 03); its fields fit well in 256 bytes.
    std::vector<uint8_t> rbsp;
    int zeros = 0;
    for (size_t j = i + 4; j < size && rbsp.size() < 256; j++) {
      if (zeros >= 2 && data[j] == 3) {
        zeros = 0;
        continue;
      }
      if (zeros >= 2 && data[j] <= 1) break;  // the next start code
      zeros = data[j] == 0 ? zeros + 1 : 0;
      rbsp.push_back(data[j]);
    }
    double pixels = 0;
    if (!SpsPixels(rbsp, &pixels)) return "H.264 decode: unreadable SPS";
    if (pixels > max_pixels) return "H.264 decode: SPS declares a picture larger than 8192x8192 pixels";
  }
  return "";
}
