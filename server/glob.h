// Redis's glob-style pattern matching (util.c stringmatchlen): * ? [abc] [^a] [a-z] and
// backslash escapes. Used by SCAN MATCH, KEYS-style filters and CONFIG GET.
//
// The semantics are Redis's to the byte, including its corner cases:
//   - `*` matches any run of bytes, but only the empty pattern matches the empty text: "*"
//     does NOT match "" (Redis's KEYS and SCAN special-case the pattern "*" before matching;
//     callers here must do the same).
//   - `[...]`: `^` right after `[` negates; `a-z` is a range, and a reversed range `z-a` is
//     the same range; `\c` inside a class is the literal `c` (compared case-sensitively even
//     with nocase); `]` right after `[` (or `[^`) closes an empty class, which matches nothing
//     (or, negated, anything); an unterminated class runs to the end of the pattern; a range
//     can swallow the closing `]` ("[a-]" is the range `]`..`a`, and the class goes on). Range
//     bounds compare bytes as signed chars, as Redis does on x86-64 (and, with nocase, fold
//     high bytes the way glibc's tolower() does; see glob.cc).
//   - `\c` outside a class is the literal `c`; a trailing lone `\` is a literal backslash.
//   - nocase folds ASCII letters only.
// Like Redis, a match that has to go past more than 1000 `*` groups (not counting a final
// one) fails.
// Matching runs in O(pattern * text) time at worst (no exponential backtracking).
#pragma once

#include <string>
#include <string_view>

namespace shale::server {

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

// The literal prefix of a pattern: the bytes before its first special character, with
// escapes resolved ("user:\*x*" -> "user:*x"). Every string the pattern matches
// case-sensitively starts with it (with nocase, only up to ASCII case).
std::string GlobLiteralPrefix(std::string_view pattern);

}  // namespace shale::server
