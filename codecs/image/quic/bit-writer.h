#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

// The QUIC bit sink: codes MSB first in 32-bit words, stored little-endian (quic.c encode()).
namespace quic {

// A value: a loop copies it into locals and back, so that its state stays in registers there.
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint32_t>& words) : storage_(&words), words_(words.data()), capacity_(words.size()) {}

  // The `len` low bits of `bits` (1 <= len <= 31, nothing set above them).
  inline void Put(uint32_t bits, int len) {
    pending_ = pending_ << len | bits;
    held_ += len;
    if (held_ >= 32) {
      held_ -= 32;
      Emit(uint32_t(pending_ >> held_));
    }
  }

  void Put32(uint32_t value) {
    Put(value >> 16, 16);
    Put(value & 0xffff, 16);
  }

  void PutOnes(uint32_t n) {
    for (uint32_t full = n >> 5; full > 0; full--) Put32(0xffffffff);
    int rest = int(n & 31);
    if (rest) Put(0xffffffffu >> (32 - rest), rest);
  }

  // quic.c's flush(): the last word padded with zeros, then a zero word (decoders read ahead).
  size_t Finish() {
    if (held_ > 0) Emit(uint32_t(pending_ << (32 - held_)));
    Emit(0);
    return count_;
  }

 private:
  inline void Emit(uint32_t word) {
    if (__builtin_expect(count_ == capacity_, 0)) {
      storage_->resize(capacity_ * 2);
      words_ = storage_->data();
      capacity_ = storage_->size();
    }
    words_[count_++] = word;
  }

  std::vector<uint32_t>* storage_;
  uint32_t* words_;
  size_t capacity_;
  size_t count_ = 0;
  // The last `held_` (< 32) bits of `pending_` are not yet in a word.
  uint64_t pending_ = 0;
  int held_ = 0;
};

}  // namespace quic
