// The replica's side of replication (REPLICAOF host port): Shale follows a primary, a Redis
// server or another Shale, and ends with its data.
//
// The link is one TCP connection that Shale opens to the primary and drives as Redis's replica
// does:
//   PING                          -> +PONG (or an error that says a password is needed)
//   AUTH [masteruser] masterauth  -> +OK              (when masterauth is set)
//   REPLCONF listening-port <port>, REPLCONF capa psync2 -> +OK (errors are tolerated)
//   PSYNC <replid> <offset+1>     (PSYNC ? -1 the first time)
// then either +FULLRESYNC <replid> <offset> and `$<length>\r\n` with an RDB file of that length
// (the link does not announce `capa eof`, so the primary sends a length), which replaces the
// whole dataset (keyspace/rdb.h's ReadRdbFile; a file holding streams, modules or functions
// fails the sync with the reason in the log and INFO), or +CONTINUE [<replid>] when the
// primary still has the stream from where this replica stopped. After that every command of
// the stream runs as the primary's client: MULTI ... EXEC as one atomic batch, SELECT switching
// its database, REPLCONF GETACK answered with REPLCONF ACK <offset>, where the offset counts the
// stream bytes applied (also sent once a second). Other clients' writes are refused with
// READONLY while replica-read-only is yes. The link reconnects once a second after a failure or
// a close; loading the snapshot blocks the event loop for as long as writing every key takes,
// as a Redis replica loading its RDB does.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/resp_parser.h"

namespace shale::server {

class Connection;
class Server;

class ReplicaLink {
 public:
  explicit ReplicaLink(Server* server);
  ~ReplicaLink();
  ReplicaLink(const ReplicaLink&) = delete;
  ReplicaLink& operator=(const ReplicaLink&) = delete;

  // REPLICAOF host port: drops any current link and connects to the new primary.
  void Follow(std::string host, int port);
  // REPLICAOF NO ONE: closes the link; the data stays.
  void Stop();
  bool following() const { return following_; }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // The connection the primary's commands run as (for READONLY's exemption).
  const Connection* client() const { return client_.get(); }

  // Once a second: reconnects when the link is down, acknowledges the offset.
  void Cron(uint64_t now_ms);
  // Closes the socket without waiting (shutdown).
  void Close();

  // INFO replication and ROLE.
  enum class State { kConnect, kConnecting, kHandshake, kTransfer, kConnected };
  State state() const { return state_; }
  // ROLE's names: connect, connecting, handshake, sync, connected.
  const char* state_name() const;
  bool link_up() const { return state_ == State::kConnected; }
  uint64_t offset() const { return offset_; }
  const std::string& primary_replid() const { return primary_replid_; }
  uint64_t last_io_ms() const { return last_io_ms_; }
  uint64_t link_down_since_ms() const { return link_down_since_ms_; }
  uint64_t transfer_size() const { return transfer_size_; }
  uint64_t transfer_read() const { return input_.size(); }
  const std::string& last_error() const { return last_error_; }
  uint64_t full_syncs() const { return full_syncs_; }
  uint64_t input_bytes() const { return input_bytes_; }  // total_net_repl_input_bytes
  uint64_t partial_syncs() const { return partial_syncs_; }

 private:
  struct Socket;  // the uv_tcp_t with its owner; freed in its close callback
  static void OnResolved(uv_getaddrinfo_t* request, int status, addrinfo* result);
  static void OnConnected(uv_connect_t* request, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

  void Connect();
  void Fail(std::string why);
  void Send(std::string_view bytes);
  void SendCommand(const std::vector<std::string_view>& argv);
  void OnData();
  // Handshake replies: false while the reply line has not arrived.
  bool HandleHandshakeLine();
  void StartTransfer();
  void LoadSnapshot(std::string_view rdb);
  void ApplyStream();
  void Acknowledge();

  Server* server_;
  bool following_ = false;
  std::string host_;
  int port_ = 0;
  uint64_t generation_ = 0;  // bumped by Follow/Stop: callbacks of an older link are ignored
  State state_ = State::kConnect;
  Socket* socket_ = nullptr;
  std::string input_;
  int handshake_step_ = 0;
  uint64_t transfer_size_ = 0;
  bool transfer_length_known_ = false;
  protocol::RespParser parser_;
  std::unique_ptr<Connection> client_;
  bool in_multi_ = false;
  std::vector<std::vector<std::string>> queued_;
  std::string primary_replid_;
  uint64_t offset_ = 0;  // the primary's stream offset applied so far
  uint64_t last_io_ms_ = 0;
  uint64_t last_attempt_ms_ = 0;
  uint64_t last_ack_ms_ = 0;
  uint64_t link_down_since_ms_ = 0;
  std::string last_error_;
  uint64_t full_syncs_ = 0;
  uint64_t partial_syncs_ = 0;
  uint64_t input_bytes_ = 0;
};

}  // namespace shale::server
