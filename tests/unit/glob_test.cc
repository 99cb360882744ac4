#include "server/glob.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>

namespace shale::server {
namespace {

TEST(GlobMatchTest, Literals) {
  EXPECT_TRUE(GlobMatch("hello", "hello"));
  EXPECT_FALSE(GlobMatch("hello", "hell"));
  EXPECT_FALSE(GlobMatch("hello", "helloo"));
  EXPECT_FALSE(GlobMatch("hello", "Hello"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_FALSE(GlobMatch("a", ""));
}

TEST(GlobMatchTest, Star) {
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("foo*", "foo"));
  EXPECT_TRUE(GlobMatch("foo*", "foobar"));
  EXPECT_FALSE(GlobMatch("foo*", "fo"));
  EXPECT_TRUE(GlobMatch("*bar", "bar"));
  EXPECT_TRUE(GlobMatch("*bar", "foobar"));
  EXPECT_FALSE(GlobMatch("*bar", "barfoo"));
  EXPECT_TRUE(GlobMatch("h*llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXcYYb"));
  EXPECT_TRUE(GlobMatch("a**b", "ab"));
  EXPECT_TRUE(GlobMatch("*a*", "banana"));
  EXPECT_TRUE(GlobMatch("*ana", "banana"));  // needs the star to retry past "an"
  EXPECT_TRUE(GlobMatch("a***", "a"));
}

TEST(GlobMatchTest, StarNeverMatchesEmptyText) {
  // Redis only runs the matcher while text remains, so "*" rejects "" (KEYS/SCAN special-case
  // the pattern "*" instead).
  EXPECT_FALSE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("**", ""));
  EXPECT_TRUE(GlobMatch("a*", "a"));
}

TEST(GlobMatchTest, QuestionMark) {
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h?llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_FALSE(GlobMatch("?", ""));
  EXPECT_TRUE(GlobMatch("??", "ab"));
  EXPECT_FALSE(GlobMatch("??", "abc"));
}

TEST(GlobMatchTest, CharacterClasses) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  EXPECT_TRUE(GlobMatch("[a-z0-9]", "7"));
  EXPECT_TRUE(GlobMatch("[^a-z]", "A"));
  EXPECT_FALSE(GlobMatch("[^a-z]", "q"));
  EXPECT_TRUE(GlobMatch("[!a]", "!"));  // '!' is not a negation in Redis
  EXPECT_TRUE(GlobMatch("[!a]", "a"));
  EXPECT_TRUE(GlobMatch("[*?]", "*"));  // no special meaning inside a class
  EXPECT_FALSE(GlobMatch("[*?]", "x"));
  EXPECT_TRUE(GlobMatch("Varia**tio[^nNmM]", "Varia66tio^"));
  EXPECT_FALSE(GlobMatch("Varia**tio[^nNmM]", "Variation"));
}

TEST(GlobMatchTest, ReversedRangeIsTheSameRange) {
  EXPECT_TRUE(GlobMatch("[z-a]", "m"));
  EXPECT_TRUE(GlobMatch("[z-a]", "a"));
  EXPECT_TRUE(GlobMatch("[z-a]", "z"));
  EXPECT_FALSE(GlobMatch("[z-a]", "A"));
  EXPECT_TRUE(GlobMatch("[9-0]", "5"));
}

TEST(GlobMatchTest, HighBytes) {
  EXPECT_TRUE(GlobMatch("[\x80-\xff]", "\x90"));
  EXPECT_FALSE(GlobMatch("[\x80-\xff]", "a"));
  EXPECT_TRUE(GlobMatch("\xc3\xa9*", "\xc3\xa9t\xc3\xa9"));
  EXPECT_TRUE(GlobMatch("?", "\xff"));
  // Redis on Linux folds range bounds with glibc's tolower(), which moves the bytes
  // 0x80..0xfe (as negative chars) up by 256 but leaves 0xff at -1: with nocase the range
  // 0x80..0xff becomes empty while 0x80..0xfe keeps its bytes.
  EXPECT_FALSE(GlobMatch("[\x80-\xff]", "\x90", true));
  EXPECT_TRUE(GlobMatch("[\x80-\xfe]", "\x90", true));
  EXPECT_TRUE(GlobMatch("\xe9", "\xe9", true));
}

TEST(GlobMatchTest, EscapesOutsideClasses) {
  EXPECT_TRUE(GlobMatch("\\*", "*"));
  EXPECT_FALSE(GlobMatch("\\*", "a"));
  EXPECT_TRUE(GlobMatch("\\?", "?"));
  EXPECT_FALSE(GlobMatch("\\?", "x"));
  EXPECT_TRUE(GlobMatch("\\[a]", "[a]"));
  EXPECT_TRUE(GlobMatch("\\a", "a"));
  EXPECT_TRUE(GlobMatch("a\\\\b", "a\\b"));
  EXPECT_TRUE(GlobMatch("user:\\*x*", "user:*x42"));
  EXPECT_FALSE(GlobMatch("user:\\*x*", "user:ax42"));
}

TEST(GlobMatchTest, TrailingBackslashIsLiteral) {
  EXPECT_TRUE(GlobMatch("\\", "\\"));
  EXPECT_FALSE(GlobMatch("\\", "a"));
  EXPECT_TRUE(GlobMatch("a\\", "a\\"));
  EXPECT_FALSE(GlobMatch("a\\", "a"));
}

TEST(GlobMatchTest, EscapesInsideClasses) {
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  EXPECT_TRUE(GlobMatch("[\\-]", "-"));
  EXPECT_TRUE(GlobMatch("[\\^a]", "^"));
  EXPECT_TRUE(GlobMatch("[a\\]b]", "b"));
  EXPECT_TRUE(GlobMatch("[\\\\]", "\\"));
  // A backslash ending the pattern inside a class is a literal member.
  EXPECT_TRUE(GlobMatch("[\\", "\\"));
  EXPECT_FALSE(GlobMatch("[\\", "a"));
}

TEST(GlobMatchTest, MalformedClasses) {
  // "[" opens a class with no members that runs to the end: it matches nothing.
  EXPECT_FALSE(GlobMatch("[", "["));
  EXPECT_FALSE(GlobMatch("[", "a"));
  EXPECT_FALSE(GlobMatch("[", ""));
  // "[^" is the negation of that empty class: any single byte.
  EXPECT_TRUE(GlobMatch("[^", "x"));
  EXPECT_FALSE(GlobMatch("[^", "xy"));
  EXPECT_FALSE(GlobMatch("[^", ""));
  // An unterminated class keeps its members: "[a-" is {a, -} (too short for a range).
  EXPECT_TRUE(GlobMatch("[a-", "a"));
  EXPECT_TRUE(GlobMatch("[a-", "-"));
  EXPECT_FALSE(GlobMatch("[a-", "b"));
  EXPECT_TRUE(GlobMatch("[abc", "c"));
  EXPECT_FALSE(GlobMatch("[abc", "abc"));
  // "]" right after "[" closes an empty class.
  EXPECT_FALSE(GlobMatch("[]", "]"));
  EXPECT_FALSE(GlobMatch("[]a]", "a]"));
  EXPECT_TRUE(GlobMatch("[^]", "x"));
  EXPECT_TRUE(GlobMatch("[^]]", "x]"));
  // In "[a-]" the range is a..']' (reversed, so ']' through 'a'), and the ']' it consumed
  // no longer closes the class: the rest of the pattern belongs to the class too.
  EXPECT_TRUE(GlobMatch("[a-]", "_"));
  EXPECT_TRUE(GlobMatch("[a-]", "]"));
  EXPECT_FALSE(GlobMatch("[a-]", "b"));
  EXPECT_TRUE(GlobMatch("[a-]x", "x"));
  EXPECT_FALSE(GlobMatch("[a-]x", "_x"));
  // Outside a class, ']' '^' and '-' are ordinary.
  EXPECT_TRUE(GlobMatch("]^-", "]^-"));
}

TEST(GlobMatchTest, NoCase) {
  EXPECT_TRUE(GlobMatch("HeLLo", "hello", true));
  EXPECT_TRUE(GlobMatch("hello", "HELLO", true));
  EXPECT_FALSE(GlobMatch("HeLLo", "hello", false));
  EXPECT_TRUE(GlobMatch("*PORT*", "tcp-port", true));
  EXPECT_TRUE(GlobMatch("[A-Z]", "q", true));
  EXPECT_TRUE(GlobMatch("[a-z]", "Q", true));
  EXPECT_FALSE(GlobMatch("[a-z]", "Q", false));
  EXPECT_TRUE(GlobMatch("[XYZ]", "y", true));
  EXPECT_TRUE(GlobMatch("[^XYZ]", "a", true));
  EXPECT_FALSE(GlobMatch("[^XYZ]", "x", true));
  // The ends of a range are folded after ordering: [A-z] is a..z with nocase, so '_'
  // (between 'Z' and 'a') falls out of it.
  EXPECT_TRUE(GlobMatch("[A-z]", "_", false));
  EXPECT_FALSE(GlobMatch("[A-z]", "_", true));
  // An escape outside a class folds; an escape inside a class does not.
  EXPECT_TRUE(GlobMatch("\\A", "a", true));
  EXPECT_FALSE(GlobMatch("[\\A]", "a", true));
  EXPECT_TRUE(GlobMatch("[\\A]", "A", true));
  // Only ASCII letters fold.
  EXPECT_FALSE(GlobMatch("\xc3\x89", "\xc3\xa9", true));
}

TEST(GlobMatchTest, PathologicalPatternsFinish) {
  // Exponential for naive backtracking; Redis's regression cases.
  const std::string text(10000, 'a');
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", text));
  std::string many_stars;
  for (int i = 0; i < 50000; ++i) many_stars += "*?";
  EXPECT_FALSE(GlobMatch(many_stars, std::string(50000, 'a')));
}

TEST(GlobMatchTest, StarGroupLimit) {
  // Redis stops after 1000 nested `*` groups; a final `*` does not count.
  std::string thousand;
  for (int i = 0; i < 1000; ++i) thousand += "*?";
  EXPECT_TRUE(GlobMatch(thousand, std::string(1000, 'a')));
  EXPECT_TRUE(GlobMatch(thousand + "*", std::string(2000, 'a')));
  EXPECT_FALSE(GlobMatch(thousand + "*?", std::string(1001, 'a')));
  EXPECT_FALSE(GlobMatch(thousand + "*?", std::string(3000, 'a')));
}

// Cross-checks against std::regex on patterns without Redis's corner cases: letters from a
// small alphabet, '?', '*', and well-formed classes, on non-empty texts.
TEST(GlobMatchTest, AgreesWithRegexOnWellFormedPatterns) {
  std::mt19937 rng(12345);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::string alphabet = "abc";
  for (int round = 0; round < 3000; ++round) {
    std::string pattern;
    std::string regex;
    const int elements = 1 + pick(7);
    for (int e = 0; e < elements; ++e) {
      switch (pick(6)) {
        case 0:
          pattern += '*';
          regex += ".*";
          break;
        case 1:
          pattern += '?';
          regex += '.';
          break;
        case 2: {
          const bool negate = pick(2) == 0;
          const char first = alphabet[pick(3)];
          const char second = alphabet[pick(3)];
          pattern += negate ? "[^" : "[";
          regex += negate ? "[^" : "[";
          if (pick(2) == 0) {
            pattern += {first, '-', second};
            regex += {std::min(first, second), '-', std::max(first, second)};
          } else {
            pattern += first;
            regex += first;
          }
          pattern += ']';
          regex += ']';
          break;
        }
        default: {
          const char c = alphabet[pick(3)];
          pattern += c;
          regex += c;
        }
      }
    }
    const std::regex re(regex);
    for (int k = 0; k < 10; ++k) {
      std::string text;
      const int length = 1 + pick(8);
      for (int i = 0; i < length; ++i) text += alphabet[pick(3)];
      ASSERT_EQ(GlobMatch(pattern, text), std::regex_match(text, re))
          << "pattern '" << pattern << "' text '" << text << "'";
    }
  }
}

TEST(GlobLiteralPrefixTest, StopsAtTheFirstSpecialCharacter) {
  EXPECT_EQ(GlobLiteralPrefix("user:*"), "user:");
  EXPECT_EQ(GlobLiteralPrefix("user:?x"), "user:");
  EXPECT_EQ(GlobLiteralPrefix("user:[ab]"), "user:");
  EXPECT_EQ(GlobLiteralPrefix("plain"), "plain");
  EXPECT_EQ(GlobLiteralPrefix("*"), "");
  EXPECT_EQ(GlobLiteralPrefix(""), "");
  EXPECT_EQ(GlobLiteralPrefix("a]^-b*"), "a]^-b");
}

TEST(GlobLiteralPrefixTest, ResolvesEscapes) {
  EXPECT_EQ(GlobLiteralPrefix("user:\\*x*"), "user:*x");
  EXPECT_EQ(GlobLiteralPrefix("\\[\\?\\\\*"), "[?\\");
  EXPECT_EQ(GlobLiteralPrefix("a\\"), "a\\");  // a trailing backslash is a literal
}

TEST(GlobLiteralPrefixTest, EveryMatchStartsWithThePrefix) {
  const char* patterns[] = {"user:\\*x*", "ab?c*", "a\\[b[cd]*", "abc", "a\\"};
  const char* texts[] = {"user:*x", "user:*xyz", "abXc", "abXcdef", "a[bc",
                         "a[bdzzz", "abc",       "a\\",  "user:ax", "zzz"};
  for (const char* pattern : patterns) {
    const std::string prefix = GlobLiteralPrefix(pattern);
    for (const char* text : texts) {
      if (GlobMatch(pattern, text)) {
        EXPECT_EQ(std::string_view(text).substr(0, prefix.size()), prefix)
            << pattern << " " << text;
      }
    }
  }
}

}  // namespace
}  // namespace shale::server
