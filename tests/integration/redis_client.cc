#include "tests/integration/redis_client.h"

#include <sys/time.h>

#include <cstdio>

namespace shale::integration {
namespace {

timeval ToTimeval(std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  return tv;
}

void DescribeInto(const redisReply* reply, std::string* out) {
  switch (reply->type) {
    case REDIS_REPLY_STATUS:
      out->append("+").append(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      out->append("-").append(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      out->append(":").append(std::to_string(reply->integer));
      break;
    case REDIS_REPLY_NIL:
      out->append("(nil)");
      break;
    case REDIS_REPLY_STRING:
      out->append("\"").append(EscapeBytes(std::string_view(reply->str, reply->len))).append("\"");
      break;
    case REDIS_REPLY_ARRAY:
      out->append("[");
      for (size_t i = 0; i < reply->elements; ++i) {
        if (i > 0) out->append(", ");
        DescribeInto(reply->element[i], out);
      }
      out->append("]");
      break;
    default:
      out->append("(reply type ").append(std::to_string(reply->type)).append(")");
  }
}

}  // namespace

std::string EscapeBytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", c);
          out += hex;
        }
    }
  }
  return out;
}

std::string Describe(const redisReply* reply) {
  if (reply == nullptr) return "(no reply)";
  std::string out;
  DescribeInto(reply, &out);
  return out;
}

std::string ReplyString(const redisReply* reply) {
  if (reply == nullptr) return "";
  switch (reply->type) {
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
    case REDIS_REPLY_STRING:
      return std::string(reply->str, reply->len);
    default:
      return "";
  }
}

std::vector<std::string> ArrayStrings(const redisReply* reply) {
  std::vector<std::string> out;
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return out;
  out.reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) out.push_back(ReplyString(reply->element[i]));
  return out;
}

std::string InfoField(Client* client, const std::string& section, const std::string& name) {
  ReplyPtr reply = client->Command({"INFO", section});
  if (reply == nullptr || reply->type != REDIS_REPLY_STRING) return "";
  const std::string text(reply->str, reply->len);
  const std::string needle = "\r\n" + name + ":";
  size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  return text.substr(at, text.find("\r\n", at) - at);
}

bool Client::Connect(int port, std::string* error, std::chrono::milliseconds timeout) {
  const timeval tv = ToTimeval(timeout);
  context_.reset(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (context_ == nullptr) {
    *error = "cannot allocate a redis context";
    return false;
  }
  if (context_->err != 0) {
    *error = context_->errstr;
    context_.reset();
    return false;
  }
  if (redisSetTimeout(context_.get(), tv) != REDIS_OK) {
    *error = "cannot set the socket timeout";
    context_.reset();
    return false;
  }
  return true;
}

std::string Client::error() const {
  if (context_ == nullptr) return "not connected";
  if (context_->err == 0) return "";
  return context_->errstr;
}

bool Client::Append(const std::vector<std::string>& args) {
  if (context_ == nullptr) return false;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return redisAppendCommandArgv(context_.get(), static_cast<int>(args.size()), argv.data(),
                                lengths.data()) == REDIS_OK;
}

ReplyPtr Client::GetReply() {
  if (context_ == nullptr) return nullptr;
  void* reply = nullptr;
  if (redisGetReply(context_.get(), &reply) != REDIS_OK) return nullptr;
  return ReplyPtr(static_cast<redisReply*>(reply));
}

ReplyPtr Client::Command(const std::vector<std::string>& args) {
  if (!Append(args)) return nullptr;
  return GetReply();
}

std::vector<ReplyPtr> Client::Pipeline(const std::vector<std::vector<std::string>>& commands) {
  std::vector<ReplyPtr> replies;
  for (const auto& command : commands) {
    if (!Append(command)) return replies;
  }
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    ReplyPtr reply = GetReply();
    if (reply == nullptr) break;
    replies.push_back(std::move(reply));
  }
  return replies;
}

}  // namespace shale::integration
