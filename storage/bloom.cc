#include "storage/bloom.h"

#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace shale::storage {

namespace {

int ProbesFor(int bits_per_key) {
  // k = m/n * ln 2 minimises the false-positive rate for m/n bits per key.
  const auto k = static_cast<int>(std::lround(bits_per_key * 0.69314718055994530942));
  return std::clamp(k, 1, kMaxBloomProbes);
}

}  // namespace

uint64_t BloomHash(std::string_view storage_key) {
  return XXH3_64bits(storage_key.data(), storage_key.size());
}

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key)
    : bits_per_key_(std::max(bits_per_key, 1)), num_probes_(ProbesFor(bits_per_key_)) {
  assert(bits_per_key >= 1);
}

void BloomFilterBuilder::AddKey(std::string_view storage_key) {
  const uint64_t h = BloomHash(storage_key);
  // Versions of one key arrive together; equal hashes would set the same bits anyway.
  if (!hashes_.empty() && hashes_.back() == h) return;
  hashes_.push_back(h);
}

std::string BloomFilterBuilder::Finish() const {
  const uint64_t wanted = std::max<uint64_t>(64, uint64_t{hashes_.size()} * bits_per_key_);
  const uint64_t bytes = (wanted + 7) / 8;
  const uint64_t bits = bytes * 8;
  std::string filter(static_cast<size_t>(bytes), '\0');
  for (const uint64_t h : hashes_) {
    const uint64_t h1 = h & 0xffffffffu;
    const uint64_t h2 = h >> 32;
    for (int i = 0; i < num_probes_; ++i) {
      const uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits;
      filter[static_cast<size_t>(bit / 8)] |= static_cast<char>(1u << (bit % 8));
    }
  }
  filter.push_back(static_cast<char>(num_probes_));
  return filter;
}

bool BloomFilterMayContain(std::string_view filter, std::string_view storage_key) {
  if (filter.size() < 2) return true;
  const int probes = static_cast<unsigned char>(filter.back());
  if (probes < 1 || probes > kMaxBloomProbes) return true;
  const uint64_t bits = uint64_t{filter.size() - 1} * 8;
  const uint64_t h = BloomHash(storage_key);
  const uint64_t h1 = h & 0xffffffffu;
  const uint64_t h2 = h >> 32;
  for (int i = 0; i < probes; ++i) {
    const uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits;
    if ((static_cast<unsigned char>(filter[static_cast<size_t>(bit / 8)]) & (1u << (bit % 8))) ==
        0) {
      return false;
    }
  }
  return true;
}

}  // namespace shale::storage
