// ImageDirectory: the daemon's directory of save images, and the one place that
// turns a path a client gave into a file inside it. StagedImage: an image being
// written, which appears under its final name only when committed.
//
// Confinement. A client-given path is checked by CheckRelativePath (relative,
// no "." or ".." components, no hidden names, no control characters) and then
// walked one component at a time with openat(..., O_NOFOLLOW) from a descriptor
// of the image directory, so it can never name a file outside the directory.
// Symbolic links are refused wherever they appear in an image path, as an
// intermediate directory or as the file itself, even when they point at
// something inside the image directory: "no symlinks at all" is the rule
// because it is simple to check and leaves nothing to reason about. (The image
// directory's own path, from the daemon's configuration, may contain links.)
// Names starting with '.' are refused so that staging files ("."-prefixed)
// can never be addressed by a client.
//
// Thread-safety: ImageDirectory is thread-safe (no mutable state). A
// StagedImage is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "daemon/stream/file_bytes.h"

namespace xenia::images {

class StagedImage;

class ImageDirectory {
 public:
  // Opens the directory, creating it (and its parents) with mode 0700 if
  // missing. FAILED_PRECONDITION naming the path if it cannot.
  static absl::StatusOr<std::unique_ptr<ImageDirectory>> Open(const std::string& path);
  ~ImageDirectory();
  ImageDirectory(const ImageDirectory&) = delete;
  ImageDirectory& operator=(const ImageDirectory&) = delete;

  const std::string& path() const { return path_; }

  // Checks a client-given path relative to the image directory. INVALID_ARGUMENT
  // naming `field` and the path, and saying what is wrong, when it is empty,
  // absolute, has a "." or ".." component, an empty component ("a//b") or a
  // trailing slash, contains a control character or NUL, is longer than 4096
  // bytes or has a component longer than 255, or has a component starting
  // with '.'. Returns the normalized path (an accepted path is already normal).
  static absl::StatusOr<std::string> CheckRelativePath(absl::string_view field,
                                                       absl::string_view path);

  // Starts a new image at `relative`: bytes go to a staging file
  // "<dir>/.<basename>.partial-<random>" beside it until StagedImage::Commit.
  // Missing intermediate directories are created (mode 0700). ALREADY_EXISTS if
  // an image is there, unless `replace`. INVALID_ARGUMENT for a bad path, a
  // symbolic link anywhere in it, or something other than a regular file at it.
  absl::StatusOr<std::unique_ptr<StagedImage>> Create(absl::string_view relative, bool replace);

  // Opens an existing image for reading. NOT_FOUND naming the path if it is
  // missing; INVALID_ARGUMENT for a bad path, a symbolic link anywhere in it,
  // or something other than a regular file at it (a FIFO is not opened).
  absl::StatusOr<std::unique_ptr<stream::FileSource>> OpenForRead(absl::string_view relative);

  // Removes an image. Errors as for OpenForRead.
  absl::Status Remove(absl::string_view relative);

  // The size of an image in bytes. Errors as for OpenForRead.
  absl::StatusOr<int64_t> Size(absl::string_view relative);

  // Removes the staging files that saves cut short left behind (xeniad was
  // killed while it wrote them), anywhere under the directory, without
  // following symbolic links. Call at start-up, before any save runs.
  // Returns how many it removed.
  absl::StatusOr<int> RemoveStaleStaging();

 private:
  ImageDirectory(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  const std::string path_;
  const int fd_;  // O_DIRECTORY
};

// An image being written. Bytes written to sink() go to the staging file.
// Commit() makes them durable and gives them the final name; destroying the
// object without Commit() (or calling Abandon()) removes the staging file.
class StagedImage {
 public:
  ~StagedImage();
  StagedImage(const StagedImage&) = delete;
  StagedImage& operator=(const StagedImage&) = delete;

  // Not to be used after Commit() or Abandon().
  stream::ByteSink& sink() { return sink_; }
  // The path the client gave, relative to the image directory.
  const std::string& relative_path() const { return relative_; }

  // Flushes and fsyncs the staging file, renames it over the final name (if
  // the image was created without `replace`, ALREADY_EXISTS when another image
  // appeared there meanwhile), and fsyncs the directory. FAILED_PRECONDITION
  // if already committed or abandoned.
  absl::Status Commit();
  // Removes the staging file now. Does nothing if committed or abandoned.
  void Abandon();

 private:
  friend class ImageDirectory;
  StagedImage(std::string relative, int dir_fd, std::string final_name, std::string staging_name,
              int file_fd, bool replace);

  const std::string relative_;
  const int dir_fd_;  // the image's directory; owned
  const std::string final_name_;
  const std::string staging_name_;
  const int file_fd_;  // the staging file; owned
  const bool replace_;
  stream::FileSink sink_;
  bool done_ = false;  // committed or abandoned
};

// The default image name for a save of `domain_name` at `now`, in UTC:
// "web1-20261124-101500.xsave". INVALID_ARGUMENT if the domain name cannot
// be part of an image file name.
absl::StatusOr<std::string> DefaultImageName(absl::string_view domain_name, absl::Time now);

}  // namespace xenia::images
