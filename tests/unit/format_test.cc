// SSTable format pieces (storage/format.h): block handles, the footer, the properties block,
// block encoding (trailer, checksum, LZ4 decision) and reading blocks from a file.
#include "storage/format.h"

#include <gtest/gtest.h>
#include <lz4.h>
#include <stdlib.h>

#include <filesystem>
#include <random>
#include <string>

#include "storage/coding.h"
#include "storage/file_system.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::TempDir;

std::string RandomBytes(std::mt19937_64* rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>((*rng)() & 0xff);
  return s;
}

TEST(BlockHandleTest, RoundTrip) {
  for (const BlockHandle h : {BlockHandle{0, 0}, BlockHandle{1, 4096}, BlockHandle{123456789, 77},
                              BlockHandle{~uint64_t{0}, ~uint64_t{0}}}) {
    std::string encoded;
    h.EncodeTo(&encoded);
    EXPECT_LE(encoded.size(), BlockHandle::kMaxEncodedLength);
    encoded += "rest";
    std::string_view input = encoded;
    BlockHandle decoded;
    ASSERT_TRUE(decoded.DecodeFrom(&input));
    EXPECT_EQ(decoded, h);
    EXPECT_EQ(input, "rest");
  }
}

TEST(BlockHandleTest, TruncatedOrOverlongRejected) {
  std::string encoded;
  BlockHandle{300, 70000}.EncodeTo(&encoded);
  for (size_t n = 0; n < encoded.size(); ++n) {
    std::string_view input(encoded.data(), n);
    BlockHandle h;
    EXPECT_FALSE(h.DecodeFrom(&input)) << n;
  }
  std::string overlong(11, '\xff');  // a varint64 longer than 10 bytes
  std::string_view input = overlong;
  BlockHandle h;
  EXPECT_FALSE(h.DecodeFrom(&input));
}

Footer SampleFooter() {
  Footer f;
  f.filter = {1000, 200};
  f.index = {1209, 300};
  f.properties = {1518, 150};
  return f;
}

TEST(FooterTest, RoundTrip) {
  std::string encoded;
  SampleFooter().EncodeTo(&encoded);
  ASSERT_EQ(encoded.size(), kFooterSize);
  EXPECT_EQ(encoded.substr(56), "SHALESST");
  Footer decoded;
  ASSERT_TRUE(decoded.DecodeFrom(encoded).ok());
  EXPECT_EQ(decoded.filter, SampleFooter().filter);
  EXPECT_EQ(decoded.index, SampleFooter().index);
  EXPECT_EQ(decoded.properties, SampleFooter().properties);
  EXPECT_EQ(decoded.format_version, kTableFormatVersion);
  EXPECT_TRUE(decoded.has_filter());

  Footer no_filter = SampleFooter();
  no_filter.filter = {};
  encoded.clear();
  no_filter.EncodeTo(&encoded);
  ASSERT_TRUE(decoded.DecodeFrom(encoded).ok());
  EXPECT_FALSE(decoded.has_filter());
}

TEST(FooterTest, BadMagic) {
  std::string encoded;
  SampleFooter().EncodeTo(&encoded);
  encoded[60] ^= 0x01;
  Footer f;
  Status s = f.DecodeFrom(encoded);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("bad magic"), std::string::npos) << s.ToString();
}

TEST(FooterTest, EveryBitFlipDetected) {
  std::string good;
  SampleFooter().EncodeTo(&good);
  for (size_t bit = 0; bit < kFooterSize * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    Footer f;
    EXPECT_TRUE(f.DecodeFrom(bad).IsCorruption()) << "bit " << bit;
  }
}

TEST(FooterTest, BadVersion) {
  Footer future = SampleFooter();
  future.format_version = 2;  // checksummed correctly, but not a version this reader knows
  std::string encoded;
  future.EncodeTo(&encoded);
  Footer f;
  Status s = f.DecodeFrom(encoded);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("version 2"), std::string::npos) << s.ToString();
}

TEST(FooterTest, WrongSizeRejected) {
  std::string encoded;
  SampleFooter().EncodeTo(&encoded);
  Footer f;
  EXPECT_TRUE(f.DecodeFrom(std::string_view(encoded).substr(1)).IsCorruption());
  EXPECT_TRUE(f.DecodeFrom(encoded + "x").IsCorruption());
}

TableProperties SampleProperties() {
  TableProperties p;
  p.num_entries = 1000;
  p.num_deletions = 17;
  p.raw_key_bytes = 20000;
  p.raw_value_bytes = 300000;
  p.data_bytes = 250000;
  p.index_bytes = 1234;
  p.filter_bytes = 1300;
  p.num_data_blocks = 80;
  p.smallest_key = std::string("\0\0a\x01\0\0\0\0\0\0\0", 11);
  p.largest_key = std::string("\0\0z\x01\x05\0\0\0\0\0\0", 11);
  p.smallest_sequence = 3;
  p.largest_sequence = 1u << 20;
  p.creation_time_ms = 1700000000000;
  p.num_compressed_blocks = 70;
  p.uncompressed_data_bytes = 320000;
  p.bloom_bits_per_key = 10;
  return p;
}

TEST(PropertiesTest, RoundTrip) {
  std::string encoded;
  EncodeProperties(SampleProperties(), &encoded);
  TableProperties decoded;
  ASSERT_TRUE(DecodeProperties(encoded, &decoded).ok());
  EXPECT_EQ(decoded, SampleProperties());
}

TEST(PropertiesTest, UnknownFieldsIgnored) {
  std::string encoded;
  PutLengthPrefixed(&encoded, "some_future_field");
  PutLengthPrefixed(&encoded, "whatever");
  EncodeProperties(SampleProperties(), &encoded);
  TableProperties decoded;
  ASSERT_TRUE(DecodeProperties(encoded, &decoded).ok());
  EXPECT_EQ(decoded, SampleProperties());
}

TEST(PropertiesTest, MalformedRejected) {
  std::string encoded;
  EncodeProperties(SampleProperties(), &encoded);
  TableProperties decoded;
  // Cut anywhere inside a field.
  EXPECT_TRUE(DecodeProperties(std::string_view(encoded).substr(0, encoded.size() - 1), &decoded)
                  .IsCorruption());
  // A numeric field holding more than one varint.
  std::string bad;
  PutLengthPrefixed(&bad, "num_entries");
  PutLengthPrefixed(&bad, std::string("\x01\x02", 2));
  EXPECT_TRUE(DecodeProperties(bad, &decoded).IsCorruption());
  // No format version.
  EXPECT_TRUE(DecodeProperties("", &decoded).IsCorruption());
  // A format version beyond u32.
  bad.clear();
  PutLengthPrefixed(&bad, "format_version");
  std::string big;
  PutVarint64(&big, uint64_t{1} << 40);
  PutLengthPrefixed(&bad, big);
  EXPECT_TRUE(DecodeProperties(bad, &decoded).IsCorruption());
}

TEST(BlockEncodingTest, UncompressedRoundTripAndTrailer) {
  const std::string raw = "hello block";
  std::string block;
  Compression used = Compression::kLZ4;
  AppendBlock(raw, Compression::kNone, &block, &used);
  EXPECT_EQ(used, Compression::kNone);
  ASSERT_EQ(block.size(), raw.size() + kBlockTrailerSize);
  EXPECT_EQ(block.substr(0, raw.size()), raw);
  EXPECT_EQ(block[raw.size()], '\0');
  EXPECT_EQ(DecodeFixed64(block.data() + raw.size() + 1),
            BlockChecksum(std::string_view(block).substr(0, raw.size() + 1)));
  std::string contents;
  ASSERT_TRUE(DecodeBlock(block, &contents).ok());
  EXPECT_EQ(contents, raw);
}

TEST(BlockEncodingTest, CompressibleUsesLZ4) {
  std::string raw;
  for (int i = 0; i < 200; ++i) raw += "compressible compressible compressible ";
  std::string block;
  Compression used = Compression::kNone;
  AppendBlock(raw, Compression::kLZ4, &block, &used);
  EXPECT_EQ(used, Compression::kLZ4);
  EXPECT_LT(block.size(), raw.size() / 2);
  EXPECT_EQ(block[block.size() - kBlockTrailerSize], static_cast<char>(Compression::kLZ4));
  std::string contents;
  ASSERT_TRUE(DecodeBlock(block, &contents).ok());
  EXPECT_EQ(contents, raw);
}

TEST(BlockEncodingTest, IncompressibleStoredRaw) {
  std::mt19937_64 rng(7);
  const std::string raw = RandomBytes(&rng, 4096);
  std::string block;
  Compression used = Compression::kLZ4;
  AppendBlock(raw, Compression::kLZ4, &block, &used);
  EXPECT_EQ(used, Compression::kNone);
  EXPECT_EQ(block.size(), raw.size() + kBlockTrailerSize);
}

// LZ4 is kept exactly when the stored form (size varint + LZ4 data) is at most 7/8 of the raw
// size: inputs from barely to highly compressible straddle the threshold.
TEST(BlockEncodingTest, CompressionOnlyWhenItSavesAnEighth) {
  std::mt19937_64 rng(11);
  int compressed = 0, raw_kept = 0;
  for (int random_percent = 0; random_percent <= 100; random_percent += 2) {
    std::string raw;
    while (raw.size() < 4096) {
      if (static_cast<int>(rng() % 100) < random_percent) {
        raw.push_back(static_cast<char>(rng() & 0xff));
      } else {
        raw.push_back('a');
      }
    }
    std::string lz4(static_cast<size_t>(LZ4_compressBound(static_cast<int>(raw.size()))), '\0');
    const int n = LZ4_compress_default(raw.data(), lz4.data(), static_cast<int>(raw.size()),
                                       static_cast<int>(lz4.size()));
    ASSERT_GT(n, 0);
    const size_t stored = static_cast<size_t>(VarintLength(raw.size())) + static_cast<size_t>(n);
    const bool worth_it = stored <= raw.size() - raw.size() / 8;

    std::string block;
    Compression used = Compression::kNone;
    AppendBlock(raw, Compression::kLZ4, &block, &used);
    EXPECT_EQ(used == Compression::kLZ4, worth_it) << random_percent;
    (worth_it ? compressed : raw_kept)++;
    std::string contents;
    ASSERT_TRUE(DecodeBlock(block, &contents).ok());
    EXPECT_EQ(contents, raw);
  }
  EXPECT_GT(compressed, 0);
  EXPECT_GT(raw_kept, 0);
}

TEST(BlockEncodingTest, EveryBitFlipDetected) {
  std::string raw;
  for (int i = 0; i < 20; ++i) raw += "some block bytes ";
  for (const Compression c : {Compression::kNone, Compression::kLZ4}) {
    std::string good;
    AppendBlock(raw, c, &good);
    for (size_t bit = 0; bit < good.size() * 8; ++bit) {
      std::string bad = good;
      bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      std::string contents;
      Status s = DecodeBlock(bad, &contents);
      EXPECT_TRUE(s.IsCorruption()) << "bit " << bit;
    }
  }
}

// A block whose checksum matches but whose contents are not what the compression byte says.
std::string ForgeBlock(std::string_view stored, uint8_t compression) {
  std::string block(stored);
  block.push_back(static_cast<char>(compression));
  PutFixed64(&block, BlockChecksum(block));
  return block;
}

TEST(BlockEncodingTest, ForgedContentsRejected) {
  std::string contents;
  Status s = DecodeBlock(ForgeBlock("abc", 7), &contents);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("compression type 7"), std::string::npos);

  // LZ4: a missing size, an implausible size, garbage data, a size that does not match.
  EXPECT_TRUE(DecodeBlock(ForgeBlock("", 1), &contents).IsCorruption());
  std::string huge;
  PutVarint32(&huge, 1u << 31);
  huge += "xx";
  EXPECT_TRUE(DecodeBlock(ForgeBlock(huge, 1), &contents).IsCorruption());
  std::string garbage;
  PutVarint32(&garbage, 100);
  garbage += "\xff\xff\xff\xff\xff\xff";
  EXPECT_TRUE(DecodeBlock(ForgeBlock(garbage, 1), &contents).IsCorruption());

  std::string raw(1000, 'z');
  std::string good;
  AppendBlock(raw, Compression::kLZ4, &good);
  std::string_view stored(good.data(), good.size() - kBlockTrailerSize);
  uint32_t size = 0;
  ASSERT_TRUE(GetVarint32(&stored, &size));
  std::string wrong_size;
  PutVarint32(&wrong_size, size + 1);
  wrong_size.append(stored.data(), stored.size());
  EXPECT_TRUE(DecodeBlock(ForgeBlock(wrong_size, 1), &contents).IsCorruption());

  EXPECT_TRUE(DecodeBlock("short", &contents).IsCorruption());
}

TEST(ReadBlockTest, ReadsAndNamesTheFileOnErrors) {
  TempDir dir;
  FileSystem* fs = DefaultFileSystem();
  const std::string path = JoinPath(dir.path(), "000001.sst");
  std::string image = "prefix";
  const BlockHandle handle{image.size(), 11};
  AppendBlock("hello block", Compression::kNone, &image);
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs->NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(image).ok());
    ASSERT_TRUE(file->Close().ok());
  }
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(fs->NewRandomAccessFile(path, &file).ok());
  std::string contents;
  ASSERT_TRUE(ReadBlock(file.get(), path, image.size(), handle, &contents).ok());
  EXPECT_EQ(contents, "hello block");

  // Past the end of the file, or an absurd size.
  for (const BlockHandle bad : {BlockHandle{handle.offset, 12}, BlockHandle{image.size(), 0},
                                BlockHandle{~uint64_t{0} - 3, 1}, BlockHandle{0, ~uint64_t{0}}}) {
    Status s = ReadBlock(file.get(), path, image.size(), bad, &contents);
    ASSERT_TRUE(s.IsCorruption());
    EXPECT_EQ(s.message().rfind(path + ": ", 0), 0u) << s.ToString();
  }
  // A file shorter than the size it is said to have.
  Status s =
      ReadBlock(file.get(), path, image.size() + 100, BlockHandle{handle.offset, 100}, &contents);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("truncated block at offset 6"), std::string::npos) << s.ToString();

  // A bad checksum names the file and the offset.
  image[handle.offset + 3] ^= 0x10;
  auto mem = NewStringRandomAccessFile(image);
  s = ReadBlock(mem.get(), path, image.size(), handle, &contents);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), path + ": bad block checksum at offset 6");
}

}  // namespace
}  // namespace shale::storage
