#pragma once
#include <cstdint>
#include "bit-writer.h"

// The run-length coder's encoding side (melcode.ts has the decoding side and the why).
namespace quic {

constexpr uint8_t kRunBits[32] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15};

class Melcode {
 public:
  void Encode(BitWriter& writer, uint32_t length) {
    uint32_t hits = 0;
    while (length >= order_) {
      hits++;
      length -= order_;
      if (state_ < 31) Set(state_ + 1);
    }
    writer.PutOnes(hits);
    writer.Put(length, bits_ + 1);
    if (state_ > 0) Set(state_ - 1);
  }

 private:
  void Set(int state) {
    state_ = state;
    bits_ = kRunBits[state];
    order_ = 1u << bits_;
  }
  int state_ = 0;
  int bits_ = 0;
  uint32_t order_ = 1;
};

}  // namespace quic
