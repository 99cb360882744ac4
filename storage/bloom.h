// Bloom filter over storage keys (the internal key without its 8-byte trailer), one per SSTable.
//
// Filter block layout:
//
//   | bit array: m/8 bytes | num_probes k: u8 |
//
// A key is hashed once, h = XXH3_64bits(storage key); the probes use double hashing,
// h1 = low 32 bits of h, h2 = high 32 bits of h, probe i (0 <= i < k) tests bit
// (h1 + i * h2) mod m, computed in 64-bit arithmetic, bit b being bit (b % 8) of byte b / 8.
// m = 8 * (bit array bytes). The writer picks m = max(64, n * bits_per_key) rounded up to a
// multiple of 8, and k = round(bits_per_key * ln 2) clamped to [1, 30]; at 10 bits per key
// k = 7 and the false-positive rate is about (1 - e^(-k n / m))^k = 0.8%.
//
// A reader treats a filter it cannot interpret (too short, k = 0 or k > 30) as matching every
// key: a damaged filter (which the block checksum catches first) never hides a key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shale::storage {

constexpr int kMaxBloomProbes = 30;

// The hash every probe derives from.
uint64_t BloomHash(std::string_view storage_key);

class BloomFilterBuilder {
 public:
  // REQUIRES: bits_per_key >= 1
  explicit BloomFilterBuilder(int bits_per_key);

  // Adds a key; adding the same key again (consecutively) is free.
  void AddKey(std::string_view storage_key);
  size_t num_keys() const { return hashes_.size(); }
  // The filter block contents for every key added.
  std::string Finish() const;

  int num_probes() const { return num_probes_; }

 private:
  const int bits_per_key_;
  const int num_probes_;
  std::vector<uint64_t> hashes_;
};

// False only when `storage_key` was certainly not added to the filter that built `filter`.
bool BloomFilterMayContain(std::string_view filter, std::string_view storage_key);

}  // namespace shale::storage
