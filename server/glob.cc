#include "server/glob.h"

#include <cstddef>
#include <utility>

namespace shale::server {
namespace {

// Redis gives up on a pattern once matching recurses through more than this many `*`
// groups; GlobMatch reproduces the cut-off so both agree on every pattern.
constexpr int kMaxStarGroups = 1000;

// Bytes are compared as `char`, which is signed on the platforms Redis is usually built for;
// this matters only for the bounds of `[a-b]` ranges.
int Byte(char c) { return static_cast<signed char>(c); }

// Redis folds case with the C library's tolower() applied to a (signed) char, in the C
// locale. Besides A-Z, glibc maps the negative values -128..-2 to 128..254 and leaves -1
// (EOF, which is also the byte 0xff) alone. Equality is unaffected, but the bounds of a
// nocase range over high bytes are, so the mapping is reproduced to agree with redis-server
// on Linux.
int Lower(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A' + 'a';
  if (c < -1) return c + 256;
  return c;
}

bool SameByte(char a, char b, bool nocase) {
  return nocase ? Lower(Byte(a)) == Lower(Byte(b)) : a == b;
}

// Matches the single pattern element at pattern[*pos] (anything but `*`) against `c`.
// Advances *pos past the element. Every such element consumes exactly one byte of text,
// which is what lets GlobMatch backtrack to the most recent `*` only.
bool MatchElement(std::string_view pattern, size_t* pos, char c, bool nocase) {
  const size_t n = pattern.size();
  size_t p = *pos;
  switch (pattern[p]) {
    case '?':
      *pos = p + 1;
      return true;
    case '[': {
      ++p;
      const bool negate = p < n && pattern[p] == '^';
      if (negate) ++p;
      bool match = false;
      while (true) {
        const size_t left = n - p;
        if (left >= 2 && pattern[p] == '\\') {
          // An escaped byte inside a class is compared exactly, even with nocase.
          ++p;
          if (pattern[p] == c) match = true;
        } else if (left > 0 && pattern[p] == ']') {
          break;
        } else if (left == 0) {
          // Unterminated class: it ends with the pattern. Step back so that the increment
          // below lands exactly on the end.
          --p;
          break;
        } else if (left >= 3 && pattern[p + 1] == '-') {
          int start = Byte(pattern[p]);
          int end = Byte(pattern[p + 2]);
          int value = Byte(c);
          if (start > end) std::swap(start, end);
          if (nocase) {
            start = Lower(start);
            end = Lower(end);
            value = Lower(value);
          }
          p += 2;
          if (value >= start && value <= end) match = true;
        } else if (SameByte(pattern[p], c, nocase)) {
          match = true;
        }
        ++p;
      }
      *pos = p + 1;
      return negate ? !match : match;
    }
    case '\\':
      // `\c` is the literal c; a lone trailing backslash is itself a literal.
      if (n - p >= 2) ++p;
      *pos = p + 1;
      return SameByte(pattern[p], c, nocase);
    default:
      *pos = p + 1;
      return SameByte(pattern[p], c, nocase);
  }
}

}  // namespace

// Iterative matcher equivalent to Redis's recursive stringmatchlen_impl. Redis's
// "skipLongerMatches" rule (once the pattern after a `*` fails at every remaining text
// position, no earlier `*` can help) means only the most recent `*` ever needs retrying,
// so the state is the current position plus one resume point.
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  const size_t plen = pattern.size();
  const size_t tlen = text.size();
  size_t p = 0;
  size_t t = 0;
  bool have_star = false;
  size_t star_pattern = 0;  // pattern position just after the latest `*` group
  size_t star_text = 0;     // text position the latest `*` group currently stops at
  int star_groups = 0;

  while (true) {
    bool failed = false;
    if (p < plen && t < tlen) {
      if (pattern[p] == '*') {
        while (p + 1 < plen && pattern[p + 1] == '*') ++p;
        if (p + 1 == plen) return true;  // a final `*` swallows the rest of the text
        if (++star_groups > kMaxStarGroups) return false;
        have_star = true;
        star_pattern = p + 1;
        star_text = t;
        p = star_pattern;
        continue;
      }
      if (MatchElement(pattern, &p, text[t], nocase)) {
        ++t;
        if (t < tlen) continue;
        // The text is used up: trailing `*`s match the empty rest.
        while (p < plen && pattern[p] == '*') ++p;
        if (p == plen) return true;
      }
      failed = true;
    } else if (p == plen && t == tlen) {
      return true;
    } else {
      failed = true;
    }
    if (failed) {
      // Let the latest `*` absorb one more byte and retry the rest of the pattern there.
      if (!have_star || ++star_text >= tlen) return false;
      p = star_pattern;
      t = star_text;
    }
  }
}

std::string GlobLiteralPrefix(std::string_view pattern) {
  std::string prefix;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '*' || c == '?' || c == '[') break;
    if (c == '\\' && i + 1 < pattern.size()) ++i;
    prefix.push_back(pattern[i]);
  }
  return prefix;
}

}  // namespace shale::server
