// hiredis helpers for integration tests: RAII ownership of redisContext and redisReply,
// binary-safe commands built from vectors of arguments, pipelining, and a compact textual
// form of replies that makes assertions read like the protocol and failures print exactly
// what came back.
//
// Textual form produced by Describe():
//   status      +OK
//   error       -ERR syntax error
//   integer     :42
//   nil         (nil)
//   bulk string "text" with C escapes for ", \ and bytes outside printable ASCII (\r \n \xNN)
//   array       [elem, elem]       (nested arrays likewise)
// hiredis 0.14 speaks RESP2 only; RESP3 replies are read with RawConnection instead.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace shale::integration {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

// Escapes bytes the way Describe() shows bulk strings (without the surrounding quotes).
std::string EscapeBytes(std::string_view bytes);

// The textual form of a reply; "(no reply)" for a null pointer (an I/O error).
std::string Describe(const redisReply* reply);
inline std::string Describe(const ReplyPtr& reply) { return Describe(reply.get()); }

// The bytes of a string/status/error reply; empty for other types.
std::string ReplyString(const redisReply* reply);

// The string forms (ReplyString) of an array reply's elements; empty for other types.
std::vector<std::string> ArrayStrings(const redisReply* reply);

class Client;

// The value of one `name:value` line of INFO `section`, read on `client`; empty when the reply
// is not INFO text or has no such field.
std::string InfoField(Client* client, const std::string& section, const std::string& name);

// One connection. Every call returns a null ReplyPtr on an I/O error (connection closed,
// timeout); error() then says why, and the connection is unusable.
class Client {
 public:
  Client() = default;

  // Connects to 127.0.0.1:port. `timeout` bounds the connect and every later read/write.
  bool Connect(int port, std::string* error,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

  bool connected() const { return context_ != nullptr && context_->err == 0; }
  std::string error() const;
  redisContext* context() const { return context_.get(); }

  // Sends one command and waits for its reply.
  ReplyPtr Command(const std::vector<std::string>& args);
  // Same, returning Describe() of the reply.
  std::string Run(const std::vector<std::string>& args) { return Describe(Command(args)); }

  // Pipelining: queue commands (nothing is sent until GetReply), then read replies in order.
  bool Append(const std::vector<std::string>& args);
  ReplyPtr GetReply();
  // Sends all commands in one go and reads all replies; stops at the first I/O error (the
  // result is then shorter than `commands`).
  std::vector<ReplyPtr> Pipeline(const std::vector<std::vector<std::string>>& commands);

 private:
  ContextPtr context_;
};

}  // namespace shale::integration
