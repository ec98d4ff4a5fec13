#include "agent/report/record_files.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "agent/core/file_identity.h"
#include "agent/core/line_reader.h"
#include "agent/report/report_error.h"

namespace auditrelay::report {
namespace {

constexpr size_t kBatchBytes = 1 << 20;  // of decompressed lines per batch
constexpr size_t kReadBytes = 256 << 10;
constexpr int kBatches = 4;  // the caller's, two waiting, one being filled

std::string errno_text(int err) {
  return std::strerror(err);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// read() that retries EINTR; throws on an error.
size_t read_some(int fd, char* into, size_t size, const std::string& path) {
  for (;;) {
    ssize_t n = ::read(fd, into, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) throw ReportError(path + ": cannot read: " + errno_text(errno));
  }
}

// A zstd frame (28 B5 2F FD) or a skippable frame (5? 2A 4D 18, which pzstd writes first).
bool starts_with_zstd_magic(std::string_view bytes) {
  if (bytes.size() < 4) return false;
  const auto b = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (b(0) == 0x28 && b(1) == 0xB5 && b(2) == 0x2F && b(3) == 0xFD) return true;
  return (b(0) & 0xF0) == 0x50 && b(1) == 0x2A && b(2) == 0x4D && b(3) == 0x18;
}

}  // namespace

// Reads one file into batches of whole lines.
class RecordFiles::Producer {
 public:
  Producer(RecordFiles& owner, const std::string& path) : owner_(owner), path_(path) {}

  // False when the caller has gone.
  bool run() {
    Fd file;
    file.fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (file.fd < 0) throw ReportError(path_ + ": cannot open: " + errno_text(errno));
    key_ = stream_id_key(file.fd, path_);
    if (!owner_.take_free(batch_)) return false;
    start_batch("");
    // The first bytes decide, so that a pipe works too; a .zst name is zstd whatever they are.
    std::string first(kReadBytes, '\0');
    first.resize(read_some(file.fd, first.data(), first.size(), path_));
    const bool zstd = path_.ends_with(".zst") || starts_with_zstd_magic(first);
    return zstd ? read_zstd(file.fd, std::move(first)) : read_plain(file.fd, first);
  }

 private:
  bool read_plain(int fd, const std::string& first) {
    batch_->data().append(first);
    if (first.empty()) return flush(true);
    for (;;) {
      std::string& data = batch_->data();
      size_t at = data.size();
      data.resize(at + kReadBytes);
      size_t n = read_some(fd, data.data() + at, kReadBytes, path_);
      data.resize(at + n);
      if (n == 0) return flush(true);
      if (data.size() >= kBatchBytes && !flush(false)) return false;
    }
  }

  bool read_zstd(int fd, std::string input) {
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    if (!dctx) throw ReportError(path_ + ": out of memory for zstd");
    if (input.empty()) throw ReportError(path_ + ": not zstd data (the file is empty)");
    size_t pending = 0;  // ZSTD_decompressStream's last hint: 0 once a frame is complete
    for (size_t n = input.size(); n > 0; n = read_some(fd, input.data(), input.size(), path_)) {
      if (input.size() < kReadBytes) input.resize(kReadBytes);
      ZSTD_inBuffer in{input.data(), n, 0};
      while (in.pos < in.size) {
        std::string& data = batch_->data();
        size_t at = data.size();
        data.resize(at + ZSTD_DStreamOutSize());
        ZSTD_outBuffer out{data.data() + at, ZSTD_DStreamOutSize(), 0};
        pending = ZSTD_decompressStream(dctx.get(), &out, &in);
        data.resize(at + out.pos);
        if (ZSTD_isError(pending)) {
          throw ReportError(path_ + ": corrupt zstd data: " + ZSTD_getErrorName(pending));
        }
        if (data.size() >= kBatchBytes && !flush(false)) return false;
      }
    }
    if (pending != 0) throw ReportError(path_ + ": truncated zstd data (the last frame is cut)");
    return flush(true);
  }

  // Scans what the batch holds into lines and hands it over; what follows the last newline
  // starts the next batch. `final`: the file has ended.
  bool flush(bool final) {
    std::string& data = batch_->data();
    const void* last_nl = memrchr(data.data(), '\n', data.size());
    size_t tail_at =
        last_nl ? static_cast<size_t>(static_cast<const char*>(last_nl) - data.data()) + 1 : 0;
    std::string tail = data.substr(tail_at);
    scan_lines(*batch_, 0, source_, cursor_, owner_.max_record_bytes_, final);
    if (cursor_.skipping || final) tail.clear();  // consumed as (part of) a record
    if (!batch_->empty() && !owner_.hand_over(std::move(batch_))) return false;
    if (final) {
      // An empty batch goes back for the next file.
      if (batch_) owner_.hand_back(std::move(batch_));
      return true;
    }
    if (!batch_ && !owner_.take_free(batch_)) return false;
    start_batch(tail);
    return true;
  }

  void start_batch(std::string_view carried) {
    batch_->clear();
    source_ = batch_->add_source({path_, key_});
    batch_->data().reserve(kBatchBytes + kReadBytes + ZSTD_DStreamOutSize());
    batch_->data().assign(carried);
  }

  RecordFiles& owner_;
  const std::string& path_;
  std::string key_;
  std::unique_ptr<RawBatch> batch_;
  uint32_t source_ = 0;
  LineCursor cursor_;
};

RecordFiles::RecordFiles(std::vector<std::string> paths, size_t max_record_bytes)
    : paths_(std::move(paths)), max_record_bytes_(max_record_bytes) {
  for (const std::string& path : paths_) {
    Fd file;
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file.fd < 0) throw ReportError(path + ": cannot open: " + errno_text(errno));
    char probe;
    if (::read(file.fd, &probe, 0) < 0)  // a directory fails here
      throw ReportError(path + ": cannot read: " + errno_text(errno));
  }
  for (int i = 0; i < kBatches; ++i)
    free_.push_back(std::make_unique<RawBatch>());
  thread_ = std::thread([this] { produce(); });
}

RecordFiles::~RecordFiles() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void RecordFiles::produce() {
  try {
    for (const std::string& path : paths_) {
      Producer producer(*this, path);
      if (!producer.run()) return;
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  done_ = true;
  changed_.notify_all();
}

bool RecordFiles::take_free(std::unique_ptr<RawBatch>& batch) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return stopping_ || !free_.empty(); });
  if (stopping_) return false;
  batch = std::move(free_.back());
  free_.pop_back();
  return true;
}

bool RecordFiles::hand_over(std::unique_ptr<RawBatch> batch) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  filled_.push_back(std::move(batch));
  changed_.notify_all();
  return true;
}

void RecordFiles::hand_back(std::unique_ptr<RawBatch> batch) {
  std::lock_guard lock(mutex_);
  free_.push_back(std::move(batch));
}

const RawBatch* RecordFiles::next() {
  std::unique_lock lock(mutex_);
  if (current_) free_.push_back(std::move(current_));
  changed_.notify_all();
  changed_.wait(lock, [&] { return !filled_.empty() || done_; });
  if (!filled_.empty()) {
    current_ = std::move(filled_.front());
    filled_.pop_front();
    return current_.get();
  }
  if (error_) std::rethrow_exception(error_);
  return nullptr;
}

}  // namespace auditrelay::report
