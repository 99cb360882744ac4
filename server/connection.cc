#include "server/connection.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/server.h"
#include "server/tls.h"

namespace shale::server {

namespace {

constexpr size_t kReadChunk = 16 * 1024;
// A client that must still authenticate (and never did) is closed once its unsent replies pass
// this many bytes (Redis 7.4's limit against pipelined wrong AUTHs from a client that never
// reads), or its query buffer passes kUnauthenticatedQueryBufferLimit.
constexpr size_t kUnauthenticatedOutputLimit = 1024;
constexpr size_t kUnauthenticatedQueryBufferLimit = 1024 * 1024;
// What all clients that must still authenticate may hold in their query buffers together: past
// it, the one whose read would grow the total further is closed. Each holds at most one
// unfinished request of 10 arguments of 16 KB (the parser's unauthenticated limits), so this
// lets about 400 such clients wait at once however many connect.
constexpr uint64_t kUnauthenticatedInputTotalLimit = 64ULL * 1024 * 1024;
// Back-pressure: stop reading a client whose unsent replies pass the high mark, resume below
// the low mark, so a client that pipelines without reading cannot grow the server unboundedly
// even without an output buffer limit configured.
constexpr size_t kOutputHighWater = 8 * 1024 * 1024;
constexpr size_t kOutputLowWater = 1024 * 1024;

std::string FormatAddress(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    uv_ip4_name(in, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    uv_ip6_name(in6, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  } else {
    return "?:0";
  }
  return std::string(host) + ":" + std::to_string(port);
}

// 127.0.0.1 or ::1 exactly, as Redis's protected mode counts a local client (other 127/8
// addresses are not), with 127.0.0.1 written as an IPv4-mapped IPv6 address included.
bool IsLoopbackPeer(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    return ntohl(in->sin_addr.s_addr) == INADDR_LOOPBACK;
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      const uint8_t* b = in6->sin6_addr.s6_addr;
      return b[12] == 127 && b[13] == 0 && b[14] == 0 && b[15] == 1;
    }
  }
  return false;
}

}  // namespace

void InputBuffer::Reserve(size_t extra) {
  if (capacity_ - size_ >= extra) return;
  size_t wanted = size_ + extra;
  // Default-initialised (not zero-filled): pages are committed only as data arrives in them.
  std::unique_ptr<char[]> grown(new char[wanted]);
  if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
  data_ = std::move(grown);
  capacity_ = wanted;
}

void InputBuffer::Consume(size_t n) {
  if (n >= size_) {
    size_ = 0;
    return;
  }
  std::memmove(data_.get(), data_.get() + n, size_ - n);
  size_ -= n;
}

void InputBuffer::ShrinkIfIdle() {
  constexpr size_t kKeep = 64 * 1024;
  if (size_ == 0 && capacity_ > kKeep) {
    data_.reset();
    capacity_ = 0;
  }
}

struct Connection::WriteRequest {
  uv_write_t req;
  std::string data;  // what is written starts at `offset`
  size_t offset = 0;
  size_t counted = 0;  // added to total_net_output_bytes once written (TLS counts plaintext)
  Connection* connection;
};

Connection::Connection(Server* server, uint64_t id)
    : server_(server), id_(id), parser_(protocol::ParserLimits{}) {
  handle_.data = this;
  created_ms_ = last_interaction_ms_ = server_->NowMs();
  user_ = server_->acl().default_user();
  set_authenticated(!server_->acl().DefaultUserNeedsAuth());
  writer_.set_error_hook(
      [](void* context, std::string_view message) {
        static_cast<Server*>(context)->OnErrorReply(message);
      },
      server_);
}

bool Connection::auth_required() const {
  return !authenticated_ && server_->acl().DefaultUserNeedsAuth();
}

Connection::~Connection() = default;

int Connection::fd() const {
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd);
  return fd;
}

std::string Connection::peer_ip() const {
  const size_t colon = peer_address_.rfind(':');
  return colon == std::string::npos ? peer_address_ : peer_address_.substr(0, colon);
}

void Connection::Start(std::unique_ptr<TlsSession> tls) {
  tls_ = std::move(tls);
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getpeername(&handle_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    peer_address_ = FormatAddress(addr);
    peer_is_loopback_ = IsLoopbackPeer(addr);
  }
  len = sizeof(addr);
  if (uv_tcp_getsockname(&handle_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    local_address_ = FormatAddress(addr);
  }
  uv_tcp_nodelay(&handle_, 1);
  const Config& config = server_->config();
  if (config.tcp_keepalive > 0) {
    uv_tcp_keepalive(&handle_, 1, static_cast<unsigned>(config.tcp_keepalive));
  }
  ResumeReading();
}

void Connection::ResumeReading() {
  paused_ = false;
  if (!reading_ && !closing_ && !parked_) {
    reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&handle_), OnAlloc, OnRead) == 0;
  }
}

void Connection::Park() {
  parked_ = true;
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle_));
    reading_ = false;
  }
}

void Connection::Unpark() {
  parked_ = false;
  if (closing_) return;
  if (!paused_) ResumeReading();
  ProcessInput();
}

void Connection::PauseReading() {
  paused_ = true;
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle_));
    reading_ = false;
  }
}

void Connection::ReserveInput() {
  if (input_.capacity() - input_.size() < kReadChunk) {
    // Grow with what has actually arrived (doubling), never with what a header announces: a
    // `$536870000` header followed by one byte costs a read chunk, not half a gigabyte. While a
    // large bulk arrives the buffer doubles up to exactly the size that holds it, so a value
    // is copied about once more in all and the buffer ends close to the value's size.
    size_t extra = std::max(kReadChunk, input_.size());
    const size_t hinted = parser_.bytes_wanted();
    if (hinted > input_.size()) {
      extra = std::min(extra, std::max(kReadChunk, hinted - input_.size()));
    }
    input_.Reserve(extra);
  }
}

void Connection::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  if (self->tls_ != nullptr) {  // ciphertext goes to the session's chunk, then is decrypted
    buf->base = self->tls_->read_chunk();
    buf->len = TlsSession::kReadChunk;
    return;
  }
  self->ReserveInput();
  buf->base = self->input_.data() + self->input_.size();
  buf->len = self->input_.capacity() - self->input_.size();
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread < 0) {
    // EOF or a socket error: nothing more will come.
    self->Close();
    return;
  }
  if (nread == 0) return;
  if (self->tls_ != nullptr) {
    self->OnTlsRead(static_cast<size_t>(nread));
    return;
  }
  self->input_.Commit(static_cast<size_t>(nread));
  self->OnInput(static_cast<size_t>(nread));
}

void Connection::ReadWhileBusy() {
  if (closing_ || !reading_) return;
  uv_buf_t buf;
  OnAlloc(reinterpret_cast<uv_handle_t*>(&handle_), 0, &buf);
  const ssize_t n = ::read(fd(), buf.base, buf.len);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  OnRead(reinterpret_cast<uv_stream_t*>(&handle_), n <= 0 ? static_cast<ssize_t>(UV_EOF) : n, &buf);
}

void Connection::OnInput(size_t n) {
  server_->stats().total_net_input_bytes += static_cast<uint64_t>(n);
  server_->stats().total_reads_processed++;
  last_interaction_ms_ = server_->NowMs();
  const Config& config = server_->config();
  const size_t limit = auth_required()
                           ? std::min(kUnauthenticatedQueryBufferLimit,
                                      static_cast<size_t>(config.client_query_buffer_limit))
                           : static_cast<size_t>(config.client_query_buffer_limit);
  if (input_.size() > limit) {
    spdlog::warn(
        "Closing client id={} addr={}: query buffer of {} bytes exceeds "
        "client-query-buffer-limit",
        id_, peer_address_, input_.size());
    server_->stats().client_query_buffer_limit_disconnections++;
    Close();
    return;
  }
  const uint64_t before = unauthenticated_input_counted_;
  AccountUnauthenticatedInput();
  if (unauthenticated_input_counted_ > before &&
      server_->unauthenticated_input_bytes() > kUnauthenticatedInputTotalLimit) {
    spdlog::warn(
        "Closing client id={} addr={}: clients that have not authenticated hold more than {} "
        "bytes of query buffers",
        id_, peer_address_, kUnauthenticatedInputTotalLimit);
    server_->stats().client_query_buffer_limit_disconnections++;
    Close();
    return;
  }
  ProcessInput();
  AccountUnauthenticatedInput();
}

void Connection::AccountUnauthenticatedInput() {
  const uint64_t held = closing_ || !auth_required() ? 0 : input_.size();
  server_->AddUnauthenticatedInput(static_cast<int64_t>(held) -
                                   static_cast<int64_t>(unauthenticated_input_counted_));
  unauthenticated_input_counted_ = held;
}

void Connection::OnTlsRead(size_t n) {
  const bool was_established = tls_->handshake_done();
  size_t plaintext = 0;
  const TlsSession::Result result = tls_->Decrypt(
      tls_->read_chunk(), n,
      [this] {
        ReserveInput();
        return std::pair<char*, size_t>(input_.data() + input_.size(),
                                        input_.capacity() - input_.size());
      },
      [this, &plaintext](size_t k) {
        input_.Commit(k);
        plaintext += k;
      });
  // Handshake messages, alerts, session tickets: sent at once, they wait for no commit.
  if (!SendCiphertext(0)) return;
  if (result == TlsSession::Result::kError) {
    if (was_established) {
      spdlog::warn("TLS error on client id={} addr={}: {}", id_, peer_address_, tls_->error());
    } else {
      spdlog::warn("Error accepting a client connection: {} (addr={})", tls_->error(),
                   peer_address_);
    }
    server_->stats().tls_errors++;
    Close();
    return;
  }
  // Replies written before the handshake finished (a protected-mode refusal) can go now.
  if (!was_established && tls_->handshake_done() && !output_.empty()) {
    server_->ScheduleFlush(this);
  }
  if (plaintext > 0) {
    OnInput(plaintext);
  } else {
    last_interaction_ms_ = server_->NowMs();
  }
  if (result == TlsSession::Result::kClosed) Close();  // the peer's close_notify
}

void Connection::ProcessInput() {
  const Config& config = server_->config();
  protocol::ParserLimits limits;
  limits.max_bulk_len = config.proto_max_bulk_len;
  size_t offset = 0;
  while (!closing_ && !close_after_reply_ && !paused_ && !parked_) {
    // An AUTH earlier in the same pipeline lifts the unauthenticated limits for what follows.
    limits.unauthenticated = auth_required();
    parser_.set_limits(limits);
    std::string_view data(input_.data() + offset, input_.size() - offset);
    protocol::ParseStatus status = parser_.Parse(data);
    if (status == protocol::ParseStatus::kNeedMore) {
      offset += parser_.consumed();
      break;
    }
    if (status == protocol::ParseStatus::kError) {
      spdlog::debug("Protocol error from client id={} addr={}: {}", id_, peer_address_,
                    parser_.error());
      writer_.Error(parser_.error());
      CloseAfterReply();
      offset = input_.size();
      break;
    }
    size_t consumed = parser_.consumed();
    // A parked command stays in the buffer, to be parsed and run again on Unpark().
    if (!Execute(parser_.args())) break;
    offset += consumed;
    if (CheckOutputLimits()) return;  // closed
    if (output_bytes() > kOutputHighWater) PauseReading();
  }
  // The parser keeps its progress as offsets relative to the unconsumed data, so moving the
  // remaining bytes to the front is safe.
  input_.Consume(offset);
  input_.ShrinkIfIdle();
  if (!output_.empty() || close_after_reply_) server_->ScheduleFlush(this);
}

bool Connection::Execute(const std::vector<std::string_view>& args) {
  if (!server_->Dispatch(*this, args)) return false;
  CommandDone();
  return true;
}

void Connection::set_reply_mode(ReplyMode mode) {
  switch (mode) {
    case ReplyMode::kOn:
      reply_off_ = false;
      reply_skipping_ = false;
      break;
    case ReplyMode::kOff:
      reply_off_ = true;
      break;
    case ReplyMode::kSkip:
      if (!reply_off_) reply_skip_next_ = true;
      break;
  }
  writer_.set_buffer(reply_off_ || reply_skipping_ ? &discarded_ : &output_);
}

void Connection::ResetReplyMode() {
  // As Redis's RESET, a SKIP covering the RESET itself still holds for it.
  reply_off_ = reply_skip_next_ = false;
  writer_.set_buffer(reply_skipping_ ? &discarded_ : &output_);
}

void Connection::CommandDone() {
  reply_skipping_ = reply_skip_next_;
  reply_skip_next_ = false;
  discarded_.clear();
  writer_.set_buffer(reply_off_ || reply_skipping_ ? &discarded_ : &output_);
}

void Connection::Receive(MessageKind kind, std::string_view pattern, std::string_view channel,
                         std::string_view message) {
  if (closing_) return;
  switch (kind) {
    case MessageKind::kChannel:
      push_writer_.PushHeader(3);
      push_writer_.Bulk("message");
      break;
    case MessageKind::kPattern:
      push_writer_.PushHeader(4);
      push_writer_.Bulk("pmessage");
      push_writer_.Bulk(pattern);
      break;
    case MessageKind::kShard:
      push_writer_.PushHeader(3);
      push_writer_.Bulk("smessage");
      break;
  }
  push_writer_.Bulk(channel);
  push_writer_.Bulk(message);
  // Sent with the next flush, which also applies the output buffer limits (a subscriber that
  // does not read is closed there, never from inside a publish).
  server_->ScheduleFlush(this);
}

void Connection::NoteWrite() {
  if (commit_mark_ != kNoMark) return;
  commit_mark_ = output_.size();
  server_->NoteUncommittedWrite(this);
}

void Connection::FailUncommittedReplies(std::string_view error) {
  if (commit_mark_ == kNoMark) return;
  output_.resize(commit_mark_);
  commit_mark_ = kNoMark;
  writer_.Error(error);
  CloseAfterReply();
  server_->ScheduleFlush(this);
}

bool Connection::CheckOutputLimits() {
  // Redis's client classes: a client subscribed to anything is of the pubsub class.
  const Config& config = server_->config();
  const OutputBufferLimit& limit = replica_       ? config.client_output_buffer_limit_replica
                                   : subscribed() ? config.client_output_buffer_limit_pubsub
                                                  : config.client_output_buffer_limit_normal;
  // A replica's snapshot does not count: only the stream that piles up behind it.
  size_t pending = output_bytes() - std::min(output_bytes(), snapshot_unsent_);
  bool hard = limit.hard_bytes > 0 && pending >= limit.hard_bytes;
  if (pending > kUnauthenticatedOutputLimit && !ever_authenticated_ && auth_required()) {
    hard = true;
  }
  bool soft = false;
  if (limit.soft_bytes > 0 && pending >= limit.soft_bytes) {
    uint64_t now = server_->NowMs();
    if (soft_limit_since_ms == 0) soft_limit_since_ms = now;
    soft = now - soft_limit_since_ms >= limit.soft_seconds * 1000;
  } else {
    soft_limit_since_ms = 0;
  }
  if (!hard && !soft) return false;
  spdlog::warn(
      "Client id={} addr={} closed for overcoming of output buffer limits "
      "({} bytes pending).",
      id_, peer_address_, pending);
  server_->stats().client_output_buffer_limit_disconnections++;
  Close();
  return true;
}

void Connection::Flush() {
  in_pending_flush_ = false;
  if (closing_) return;
  if (commit_mark_ != kNoMark) return;  // replies wait for the commit of their writes
  if (tls_ != nullptr) {
    if (!FlushTls()) return;
  } else if (!output_.empty() && in_flight_bytes_ == 0) {
    uv_buf_t buf = uv_buf_init(output_.data(), static_cast<unsigned>(output_.size()));
    int written = uv_try_write(reinterpret_cast<uv_stream_t*>(&handle_), &buf, 1);
    server_->stats().total_writes_processed++;
    if (written == UV_EAGAIN || written == UV_ENOSYS) written = 0;
    if (written < 0) {
      Close();
      return;
    }
    server_->stats().total_net_output_bytes += static_cast<uint64_t>(written);
    snapshot_unsent_ -= std::min(snapshot_unsent_, static_cast<size_t>(written));
    if (static_cast<size_t>(written) == output_.size()) {
      output_.clear();
      if (output_.capacity() > 1024 * 1024) output_.shrink_to_fit();
    } else {
      auto* request = new WriteRequest;  // owned by libuv until OnWriteDone
      request->connection = this;
      request->data.assign(output_, static_cast<size_t>(written), std::string::npos);
      request->counted = request->data.size();
      output_.clear();
      in_flight_bytes_ = request->data.size();
      request->req.data = request;
      uv_buf_t rest =
          uv_buf_init(request->data.data(), static_cast<unsigned>(request->data.size()));
      int rc =
          uv_write(&request->req, reinterpret_cast<uv_stream_t*>(&handle_), &rest, 1, OnWriteDone);
      if (rc != 0) {
        delete request;
        in_flight_bytes_ = 0;
        Close();
        return;
      }
    }
  }
  if (CheckOutputLimits()) return;
  if (paused_ && output_bytes() < kOutputLowWater) {
    ResumeReading();
    ProcessInput();  // commands already buffered while paused
    return;
  }
  if (close_after_reply_ && output_.empty() && in_flight_bytes_ == 0) Close();
}

bool Connection::FlushTls() {
  // Replies wait for the handshake; while a write is in flight they stay plaintext, so the
  // output buffer limits see them as they see a plain connection's.
  if (!tls_->handshake_done() || in_flight_bytes_ != 0) return true;
  if (output_.empty()) return SendCiphertext(0);
  if (!tls_->Encrypt(output_)) {
    spdlog::warn("TLS error on client id={} addr={}: {}", id_, peer_address_, tls_->error());
    server_->stats().tls_errors++;
    Close();
    return false;
  }
  const size_t plaintext = output_.size();
  output_.clear();
  if (output_.capacity() > 1024 * 1024) output_.shrink_to_fit();
  // A TLS replica's snapshot stops counting as exempt once it is encrypted.
  snapshot_unsent_ -= std::min(snapshot_unsent_, plaintext);
  return SendCiphertext(plaintext);
}

bool Connection::SendCiphertext(size_t plaintext) {
  server_->stats().total_net_output_bytes += static_cast<uint64_t>(plaintext);
  std::string& out = tls_->ciphertext();
  if (out.empty() || in_flight_bytes_ != 0) return true;
  uv_buf_t buf = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
  int written = uv_try_write(reinterpret_cast<uv_stream_t*>(&handle_), &buf, 1);
  server_->stats().total_writes_processed++;
  if (written == UV_EAGAIN || written == UV_ENOSYS) written = 0;
  if (written < 0) {
    Close();
    return false;
  }
  if (static_cast<size_t>(written) == out.size()) {
    out.clear();
    if (out.capacity() > 1024 * 1024) out.shrink_to_fit();
    return true;
  }
  // The rest goes with uv_write: the ciphertext is moved, not copied, into the request.
  auto request = std::make_unique<WriteRequest>();
  request->connection = this;
  request->data = std::move(out);
  out.clear();
  request->offset = static_cast<size_t>(written);
  in_flight_bytes_ = request->data.size() - request->offset;
  request->req.data = request.get();
  uv_buf_t rest =
      uv_buf_init(request->data.data() + request->offset, static_cast<unsigned>(in_flight_bytes_));
  if (uv_write(&request->req, reinterpret_cast<uv_stream_t*>(&handle_), &rest, 1, OnWriteDone) !=
      0) {
    in_flight_bytes_ = 0;
    Close();
    return false;
  }
  static_cast<void>(request.release());  // owned by libuv until OnWriteDone
  return true;
}

void Connection::OnWriteDone(uv_write_t* req, int status) {
  std::unique_ptr<WriteRequest> request(static_cast<WriteRequest*>(req->data));
  Connection* self = request->connection;
  self->in_flight_bytes_ = 0;
  if (status < 0) {
    self->Close();
    return;
  }
  self->server_->stats().total_net_output_bytes += request->counted;
  self->snapshot_unsent_ -= std::min(self->snapshot_unsent_, request->counted);
  if (self->closing_) return;
  // More output (or a pending close or resume) is handled in the next flush, after commit.
  self->server_->ScheduleFlush(self);
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  AccountUnauthenticatedInput();
  if (tls_ != nullptr && in_flight_bytes_ == 0) {
    // close_notify, or the alert of a failed handshake: best effort, the socket closes anyway.
    tls_->Shutdown();
    std::string& out = tls_->ciphertext();
    if (!out.empty()) {
      uv_buf_t buf = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
      uv_try_write(reinterpret_cast<uv_stream_t*>(&handle_), &buf, 1);
    }
  }
  server_->OnConnectionClosed(this);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), OnClosed);
}

void Connection::OnClosed(uv_handle_t* handle) { delete static_cast<Connection*>(handle->data); }

}  // namespace shale::server
