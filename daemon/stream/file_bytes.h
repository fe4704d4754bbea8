// FileSink and FileSource: a ByteSink / ByteSource over a file descriptor (a
// save image, or a pipe). The sink gathers small writes into a buffer so
// that a stream's many small framing pieces cost few system calls; large
// pieces go straight through.
//
// Thread-safety: one thread at a time per object. Neither closes the
// descriptor unless it was given ownership.
#pragma once

#include <string>

#include "daemon/stream/byte_stream.h"

namespace xenia::stream {

class FileSink : public ByteSink {
 public:
  // `name` appears in errors (a path, or "the client's stream").
  FileSink(int fd, std::string name, bool owns_fd = false);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  absl::Status Write(absl::string_view data) override;
  absl::Status Flush() override;
  // Flush, then fdatasync: the bytes are on disk.
  absl::Status Sync();

 private:
  absl::Status WriteAll(absl::string_view data);

  const int fd_;
  const std::string name_;
  const bool owns_fd_;
  std::string buffer_;
};

class FileSource : public ByteSource {
 public:
  FileSource(int fd, std::string name, bool owns_fd = false);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  absl::StatusOr<size_t> Read(char* buffer, size_t max) override;

 private:
  const int fd_;
  const std::string name_;
  const bool owns_fd_;
  // Bytes read so far, and how far the kernel has been asked to read ahead.
  int64_t offset_ = 0;
  int64_t advised_to_ = 0;
};

}  // namespace xenia::stream
