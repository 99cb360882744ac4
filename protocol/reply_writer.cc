#include "protocol/reply_writer.h"

#include <charconv>
#include <cmath>
#include <string>

namespace shale::protocol {

namespace {

constexpr std::string_view kCrlf = "\r\n";

void AppendInt(std::string* out, int64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, result.ptr);
}

}  // namespace

void AppendDouble(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("nan");
    return;
  }
  if (std::isinf(value)) {
    out->append(value < 0 ? "-inf" : "inf");
    return;
  }
  if (value == 0) {
    out->append(std::signbit(value) ? "-0" : "0");
    return;
  }
  // 2^62, i.e. INT64_MAX / 2 rounded to a double: Redis's bound for printing as an integer.
  constexpr double kIntegralLimit = 0x1p62;
  if (value >= -kIntegralLimit && value <= kIntegralLimit) {
    const auto integral = static_cast<int64_t>(value);
    if (static_cast<double>(integral) == value) {
      AppendInt(out, integral);
      return;
    }
  }
  char text[64];
  auto result = std::to_chars(text, text + sizeof(text), value);
  out->append(text, result.ptr);
}

void ReplyWriter::Header(char type, int64_t n) {
  out_->push_back(type);
  AppendInt(out_, n);
  out_->append(kCrlf);
}

void ReplyWriter::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append(kCrlf);
}

void ReplyWriter::Error(std::string_view message) {
  ErrorUncounted(message);
  if (error_hook_ != nullptr) error_hook_(error_context_, message);
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (protocol_ < 3) {
    Bulk(digits);
    return;
  }
  out_->push_back('(');
  out_->append(digits);
  out_->append(kCrlf);
}

void ReplyWriter::ErrorUncounted(std::string_view message) {
  out_->push_back('-');
  const size_t start = out_->size();
  out_->append(message);
  for (size_t i = start; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append(kCrlf);
}

void ReplyWriter::Integer(int64_t value) { Header(':', value); }

void ReplyWriter::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append(kCrlf);
}

void ReplyWriter::NullBulk() { out_->append(protocol_ >= 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyWriter::NullArray() { out_->append(protocol_ >= 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyWriter::ArrayHeader(size_t n) { Header('*', static_cast<int64_t>(n)); }

void ReplyWriter::MapHeader(size_t n) {
  if (protocol_ >= 3) {
    Header('%', static_cast<int64_t>(n));
  } else {
    Header('*', static_cast<int64_t>(n) * 2);
  }
}

void ReplyWriter::SetHeader(size_t n) {
  Header(protocol_ >= 3 ? '~' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::PushHeader(size_t n) {
  Header(protocol_ >= 3 ? '>' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::Double(double value) {
  if (protocol_ >= 3) {
    out_->push_back(',');
    AppendDouble(out_, value);
    out_->append(kCrlf);
    return;
  }
  std::string text;
  AppendDouble(&text, value);
  Bulk(text);
}

void ReplyWriter::DoubleText(std::string_view text) {
  if (protocol_ < 3) return Bulk(text);
  out_->push_back(',');
  out_->append(text.data(), text.size());
  out_->append(kCrlf);
}

void ReplyWriter::Boolean(bool value) {
  if (protocol_ >= 3) {
    out_->append(value ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(value ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::Verbatim(std::string_view format, std::string_view s) {
  if (protocol_ < 3) {
    Bulk(s);
    return;
  }
  // The format is exactly three bytes ("txt", "mkd"): a longer one is cut, a shorter one
  // padded with blanks, so the announced length always matches.
  constexpr size_t kFormatLength = 3;
  Header('=', static_cast<int64_t>(kFormatLength + 1 + s.size()));
  const std::string_view cut = format.substr(0, kFormatLength);
  out_->append(cut);
  out_->append(kFormatLength - cut.size(), ' ');
  out_->push_back(':');
  out_->append(s);
  out_->append(kCrlf);
}

void ReplyWriter::BulkArray(const std::string_view* items, size_t n) {
  ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) Bulk(items[i]);
}

}  // namespace shale::protocol
