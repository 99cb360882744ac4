// Bit arithmetic on string values, for the bitmap commands (server/commands/bits.cc): SETBIT,
// GETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD, with Redis's (bitops.c) semantics. Pure functions
// on bytes, so that they can be tested without a server.
//
// Bit numbering: bit 0 is the most significant bit of byte 0, bit 8 the most significant bit of
// byte 1, and so on (Redis's order). A bitfield of N bits at offset O is the big-endian integer
// made of bits O..O+N-1. Bits beyond the end of a value read as zero.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shale::server::bits {

// The number of set bits in `bytes`, a 64-bit word at a time.
uint64_t PopCount(std::string_view bytes);

// An inclusive range of bit indexes inside a value.
struct BitRange {
  uint64_t first = 0;
  uint64_t last = 0;
};

// Redis's BITCOUNT/BITPOS range: `start` and `end` count bytes (or bits when `in_bits`) of a
// value `size` bytes long, negative ones from the end; both are clamped to the value. False when
// the range is empty (start after end, or an empty value); otherwise *range holds its bits.
bool ResolveRange(int64_t start, int64_t end, uint64_t size, bool in_bits, BitRange* range);

// The number of set bits of `bytes` in `range`. REQUIRES: range.first <= range.last <
// 8 * bytes.size().
uint64_t CountBits(std::string_view bytes, BitRange range);

// The index of the first bit equal to `bit` in `range` of `bytes`, or -1 when there is none.
// Whole words equal to the skipped pattern are passed over at once. REQUIRES as CountBits.
int64_t FindBit(std::string_view bytes, bool bit, BitRange range);

// GETBIT: bit `offset` of `bytes` (false beyond the end).
bool GetBit(std::string_view bytes, uint64_t offset);
// SETBIT on a value already long enough. REQUIRES: offset < 8 * bytes->size().
void SetBit(std::string* bytes, uint64_t offset, bool on);

enum class BitOpKind { kAnd, kOr, kXor, kNot };

// BITOP: `op` over `sources` (NOT takes the first), shorter ones padded with zero bytes; the
// result is as long as the longest source. REQUIRES: at least one source.
std::string BitOp(BitOpKind op, const std::vector<std::string_view>& sources);

// BITFIELD reads: the `width`-bit field at bit `offset` (1 <= width <= 64), unsigned or
// sign-extended. Bits beyond the end of `bytes` read as zero.
uint64_t GetUnsignedField(std::string_view bytes, uint64_t offset, int width);
int64_t GetSignedField(std::string_view bytes, uint64_t offset, int width);
// Writes the low `width` bits of `value` at bit `offset`. REQUIRES: offset + width <= 8 *
// bytes->size().
void SetField(std::string* bytes, uint64_t offset, int width, uint64_t value);

// BITFIELD's OVERFLOW policies.
enum class Overflow { kWrap, kSat, kFail };

// value + incr in a field of `width` bits (a SET is an increment of 0 of the new value). Returns
// whether the exact sum is outside the field's range; *result is then the sum wrapped to the
// field (kWrap), the nearest limit (kSat), or left unchanged (kFail: nothing must be written).
// Without overflow *result is the sum.
bool AddSigned(int64_t value, int64_t incr, int width, Overflow overflow, int64_t* result);
bool AddUnsigned(uint64_t value, int64_t incr, int width, Overflow overflow, uint64_t* result);

// Parses a bit offset argument: a non-negative integer, or, when `field_width` > 0 (BITFIELD),
// "#N" meaning N * field_width. False (Redis's "bit offset is not an integer or out of range")
// when it is not one, or when its byte (offset / 8) is not below `max_bytes`
// (proto-max-bulk-len).
bool ParseBitOffset(std::string_view arg, int field_width, int64_t max_bytes, uint64_t* offset);

// Parses a BITFIELD type: "i1".."i64" or "u1".."u63" (lower case, as Redis).
bool ParseFieldType(std::string_view arg, bool* is_signed, int* width);

}  // namespace shale::server::bits
