// One client connection: its socket (a libuv TCP handle), input buffer and RESP parser, output
// buffer and per-client state (selected database, protocol version, name, authentication,
// transaction).
//
// Life cycle: created by Server on accept, destroyed from the libuv close callback. Input is
// parsed and executed as it arrives; replies accumulate in the output buffer and leave the
// process only from Server's once-per-iteration flush, after the WAL commit that covers the
// writes they acknowledge (see Server::OnIterationEnd).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_writer.h"
#include "protocol/resp_parser.h"
#include "server/keyspace/format.h"
#include "server/pubsub.h"
#include "server/transactions.h"
#include "storage/db.h"

namespace shale::server {

class Server;
class TlsSession;
class AclUser;

// A growable byte buffer without value-initialisation on growth (std::string would memset).
class InputBuffer {
 public:
  char* data() { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // Makes room for at least `extra` more bytes after size(); grows to exactly size() + extra
  // when it must grow (callers choose the growth policy).
  void Reserve(size_t extra);
  void Commit(size_t n) { size_ += n; }
  // Drops the first `n` bytes.
  void Consume(size_t n);
  // Gives back memory after a large request, keeping a small buffer.
  void ShrinkIfIdle();

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// A connection is a pub/sub subscriber: a message it receives goes into its output buffer as a
// push (RESP3) or an array (RESP2), whatever CLIENT REPLY says.
class Connection final : public Subscriber {
 public:
  Connection(Server* server, uint64_t id);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_tcp_t* handle() { return &handle_; }
  // Called once the socket is accepted: records addresses, options, starts reading. With a
  // `tls` session the connection speaks TLS: input is decrypted before parsing and replies are
  // encrypted when flushed (they wait for the handshake).
  void Start(std::unique_ptr<TlsSession> tls = nullptr);
  bool is_tls() const { return tls_ != nullptr; }

  // A busy script's hook polled the socket readable (Server::ServeWhileBusy): reads what is
  // there as OnRead would, outside libuv's loop, which is inside the script.
  void ReadWhileBusy();
  // Executes complete commands in the input buffer until it runs dry, the connection is
  // paused by back-pressure or parked, or it is closing.
  void ProcessInput();
  // A write stalled by storage back-pressure: the command stays unexecuted in the input buffer
  // and nothing more is read from the socket until Unpark(), which runs it again (Server's park
  // timer does, until storage has room). Other connections are served meanwhile.
  void Park();
  void Unpark();
  // A blocking list command waits for its keys (Server::BlockForKeys): the command stays in the
  // input buffer as with Park, but reading goes on, so a client that goes away is seen at once.
  // Unpark() runs the command again.
  void Block() { parked_ = true; }
  struct BlockState {
    bool requested = false;      // the handler asked to block (Dispatch parks the connection)
    bool active = false;         // registered with the server's blocked keys
    bool timed_out = false;      // the run after the timeout: answer the timeout reply
    bool unblock_error = false;  // CLIENT UNBLOCK ... ERROR: answer -UNBLOCKED instead
    int db = 0;
    std::vector<std::string> keys;
    uint64_t deadline_ms = 0;                               // 0 = no timeout
    keyspace::ValueType type = keyspace::ValueType::kList;  // what the command pops from
    // XREAD / XREADGROUP that blocked: the ID each key waits past, as resolved when it blocked
    // (`$` = the last ID then), so the runs after it read from there and keep its deadline.
    // Empty otherwise.
    std::vector<std::string> stream_ids;
  };
  BlockState& block() { return block_; }
  const BlockState& block() const { return block_; }
  bool parked() const { return parked_; }
  // Sends the output buffer (uv_try_write, then uv_write for the rest). Called by Server once
  // per loop iteration, after the WAL commit.
  void Flush();
  // Closes the socket; the object is deleted from the close callback.
  void Close();
  // Reply, then close once everything is sent (QUIT, protocol errors).
  void CloseAfterReply() { close_after_reply_ = true; }

  // The WAL commit of this iteration failed: replace the replies from the first unconfirmed
  // write on with `error` and close after sending (the client cannot know what else applied).
  void FailUncommittedReplies(std::string_view error);
  void MarkCommitted() { commit_mark_ = kNoMark; }
  bool has_uncommitted_write() const { return commit_mark_ != kNoMark; }
  // Records that the command about to reply is a write awaiting the iteration's commit.
  void NoteWrite();

  protocol::ReplyWriter& reply() { return writer_; }
  // Moves the output buffer out (a script's redis.call reads the reply of its command).
  std::string TakeOutput() {
    std::string output;
    output.swap(output_);
    return output;
  }
  // The client a script's redis.call()s run as (server/scripting.h): its commands never block.
  bool script_client() const { return script_client_; }
  // MONITOR ran: the connection gets every command the server runs.
  bool monitor() const { return monitor_; }
  void set_monitor() { monitor_ = true; }
  // CLIENT NO-EVICT / NO-TOUCH (CLIENT LIST flags e and T).
  bool no_evict = false;
  bool no_touch = false;
  void set_script_client(bool v) { script_client_ = v; }
  // Bytes for the socket as they are, whatever CLIENT REPLY says (the replication stream).
  void AppendRaw(std::string_view bytes) { output_.append(bytes); }
  // After SYNC/PSYNC: the connection is a replica. It gets the stream and no replies (REPLCONF
  // ACK is answered by nothing, as in Redis), is of the replica output-buffer class and is never
  // closed for being idle.
  void MakeReplica() {
    replica_ = true;
    set_reply_mode(ReplyMode::kOff);
  }
  // The snapshot just appended (`bytes` long): the output-buffer limits leave it out until it
  // is sent.
  void AppendSnapshot(std::string_view bytes) {
    output_.append(bytes);
    snapshot_unsent_ = output_bytes();
  }
  bool is_replica() const { return replica_; }
  int64_t replica_listening_port() const { return replica_listening_port_; }
  void set_replica_listening_port(int64_t port) { replica_listening_port_ = port; }
  // The peer's IP address without the port.
  std::string peer_ip() const;
  uint64_t id() const { return id_; }
  int db() const { return db_; }
  void set_db(int db) { db_ = db; }
  bool authenticated() const { return authenticated_; }
  void set_authenticated(bool v) {
    authenticated_ = v;
    ever_authenticated_ = ever_authenticated_ || v;
  }
  // Redis's authRequired(): the default user needs a password (or is off) and this client has
  // not authenticated. Clearing requirepass at run time lets already-open clients in, as in
  // Redis.
  bool auth_required() const;
  // The ACL user the connection runs as (the default user until AUTH). The connection keeps a
  // deleted user alive until it closes (ACL DELUSER closes it).
  const AclUser& user() const { return *user_; }
  const std::shared_ptr<AclUser>& user_ptr() const { return user_; }
  void set_user(std::shared_ptr<AclUser> user) { user_ = std::move(user); }
  int protocol() const { return writer_.protocol(); }
  void set_protocol(int v) {
    writer_.set_protocol(v);
    push_writer_.set_protocol(v);
  }
  // What pub/sub writes: (un)subscribe confirmations and messages, which reach the client even
  // under CLIENT REPLY OFF or SKIP (Redis's CLIENT_PUSHING).
  protocol::ReplyWriter& push() { return push_writer_; }
  void Receive(MessageKind kind, std::string_view pattern, std::string_view channel,
               std::string_view message) override;

  // CLIENT REPLY: ON answers every command; OFF answers none; SKIP does not answer the next
  // command (the CLIENT REPLY SKIP itself gets no reply either).
  enum class ReplyMode { kOn, kOff, kSkip };
  void set_reply_mode(ReplyMode mode);
  // RESET: replies on, no SKIP pending for the next command.
  void ResetReplyMode();
  bool replies_off() const { return reply_off_; }
  // Called once a command has been dealt with (run, queued or refused): ends a SKIP that
  // covered it and starts one requested by it.
  void CommandDone();
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  const std::string& lib_name() const { return lib_name_; }
  void set_lib_name(std::string v) { lib_name_ = std::move(v); }
  const std::string& lib_version() const { return lib_version_; }
  void set_lib_version(std::string v) { lib_version_ = std::move(v); }
  const std::string& peer_address() const { return peer_address_; }
  const std::string& local_address() const { return local_address_; }
  // True when the client connects from 127.0.0.1 or ::1 (Redis's rule for protected mode;
  // an IPv4-mapped ::ffff:127.0.0.1 counts as 127.0.0.1). Known once Start() has run.
  bool peer_is_loopback() const { return peer_is_loopback_; }
  bool closing() const { return closing_; }
  uint64_t created_ms() const { return created_ms_; }
  uint64_t last_interaction_ms() const { return last_interaction_ms_; }
  const std::string& last_command() const { return last_command_; }
  size_t query_buffer_bytes() const { return input_.size(); }
  // Memory held by the query buffer (what it holds plus the room reserved after it).
  size_t query_buffer_capacity() const { return input_.capacity(); }
  size_t query_buffer_free() const { return input_.capacity() - input_.size(); }
  size_t output_bytes() const { return output_.size() + in_flight_bytes_; }
  int fd() const;
  // MULTI state and watched keys (Server unwatches them when the connection closes).
  Transaction& transaction() { return transaction_; }
  const Transaction& transaction() const { return transaction_; }

  // Output-buffer soft limit bookkeeping (Redis's obuf_soft_limit_reached_time).
  uint64_t soft_limit_since_ms = 0;
  // WAIT's replication offset while it waits for acknowledgements (0 = not waiting).
  uint64_t wait_offset = 0;

 private:
  static constexpr size_t kNoMark = static_cast<size_t>(-1);

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWriteDone(uv_write_t* req, int status);
  static void OnClosed(uv_handle_t* handle);

  // False when the command was parked rather than run.
  bool Execute(const std::vector<std::string_view>& args);
  bool CheckOutputLimits();
  // What OnRead does with `n` new bytes in the input buffer: limits, then parsing.
  void OnInput(size_t n);
  // Keeps the server's total of unauthenticated clients' query-buffer bytes up to date.
  void AccountUnauthenticatedInput();
  // Makes room in the input buffer for the next read (the growth policy of OnAlloc).
  void ReserveInput();
  // TLS: decrypts `n` bytes of socket input into the input buffer, sends what the session
  // produced (handshake, alerts), and closes on a TLS error or the peer's close_notify.
  void OnTlsRead(size_t n);
  // TLS: encrypts the output buffer and sends the ciphertext. False when closed.
  bool FlushTls();
  // TLS: sends the session's pending ciphertext unless a write is in flight (it follows the
  // write then). `plaintext` is what it carries, for total_net_output_bytes. False when closed.
  bool SendCiphertext(size_t plaintext);
  void PauseReading();
  void ResumeReading();

  Server* server_;
  uv_tcp_t handle_;
  uint64_t id_;
  std::unique_ptr<TlsSession> tls_;  // null on a plain connection
  protocol::RespParser parser_;
  InputBuffer input_;
  std::string output_;
  protocol::ReplyWriter writer_{&output_};
  protocol::ReplyWriter push_writer_{&output_};
  // Where writer_ writes while replies are off or skipped; emptied after every command.
  std::string discarded_;
  bool reply_off_ = false;
  bool reply_skip_next_ = false;  // CLIENT REPLY SKIP ran: the next command is not answered
  bool reply_skipping_ = false;   // the command now running is not answered
  struct WriteRequest;
  size_t in_flight_bytes_ = 0;  // bytes handed to uv_write and not yet confirmed
  size_t commit_mark_ = kNoMark;

  int db_ = 0;
  bool authenticated_ = false;
  bool ever_authenticated_ = false;
  std::shared_ptr<AclUser> user_;
  bool reading_ = false;
  bool paused_ = false;  // back-pressure: too much unsent output
  bool parked_ = false;  // a write waits for storage back-pressure to ease (Park)
  // The parked command's stall: since when (0 = not stalled), why, in which shard; and
  // whether its ~1 ms slowdown was served, so the next attempt goes through.
  uint64_t stalled_since_us_ = 0;
  storage::WriteRoom stall_room_ = storage::WriteRoom::kOpen;
  int stall_shard_ = 0;
  bool slowdown_served_ = false;
  bool close_after_reply_ = false;
  bool closing_ = false;
  bool replica_ = false;
  bool script_client_ = false;
  bool monitor_ = false;
  uint64_t unauthenticated_input_counted_ = 0;  // this connection's part of that total
  size_t snapshot_unsent_ = 0;  // output bytes up to the end of a replica's snapshot
  int64_t replica_listening_port_ = 0;
  bool in_pending_flush_ = false;
  std::string name_;
  std::string lib_name_;
  std::string lib_version_;
  std::string peer_address_;
  std::string local_address_;
  bool peer_is_loopback_ = false;
  std::string last_command_;
  uint64_t created_ms_ = 0;
  uint64_t last_interaction_ms_ = 0;
  Transaction transaction_;
  BlockState block_;

  friend class Server;
};

}  // namespace shale::server
