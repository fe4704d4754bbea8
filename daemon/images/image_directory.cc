#include "daemon/images/image_directory.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace xenia::images {
namespace {

constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxComponentBytes = 255;
// The field named in errors from the methods that take a path.
constexpr absl::string_view kPathField = "path";
constexpr absl::string_view kPartialInfix = ".partial-";
constexpr size_t kRandomBytes = 8;

// An owned descriptor, closed on destruction.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A path as errors show it: quoted, escaped, and cut short when long.
std::string Quoted(absl::string_view path) {
  constexpr size_t kShown = 200;
  if (path.size() > kShown) {
    return absl::StrCat("\"", absl::CHexEscape(path.substr(0, kShown)), "...\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(path), "\"");
}

absl::Status BadPath(absl::string_view field, absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", Quoted(path), ": ", what));
}

// `link` is the part of `relative` (perhaps all of it) that is a link.
absl::Status SymlinkError(absl::string_view relative, absl::string_view link) {
  return BadPath(
      kPathField, relative,
      absl::StrCat(Quoted(link),
                   " is a symbolic link; image paths may not leave the image directory"));
}

absl::Status NoImage(absl::string_view relative) {
  return absl::NotFoundError(
      absl::StrCat("no image ", Quoted(relative), " in the image directory"));
}

absl::Status SystemError(int error, absl::string_view what, absl::string_view relative) {
  return absl::ErrnoToStatus(error, absl::StrCat("cannot ", what, " image ", Quoted(relative)));
}

// Refuses anything at an image's path but a regular file.
absl::Status CheckRegularFile(const struct stat& st, absl::string_view relative) {
  if (S_ISLNK(st.st_mode)) return SymlinkError(relative, relative);
  if (S_ISDIR(st.st_mode)) return BadPath(kPathField, relative, "is a directory, not an image");
  if (!S_ISREG(st.st_mode)) {
    return BadPath(kPathField, relative,
                   "is not a regular file (a FIFO, socket or device); images are regular files");
  }
  return absl::OkStatus();
}

// Where an image lives: its directory, opened, and its name there.
struct ImageLocation {
  ScopedFd dir;
  std::string name;
};

// Called when opening directory component `part` (of `relative`, up to
// `so_far`) failed with ELOOP or ENOTDIR: says whether it is a link.
absl::Status NotADirectory(int parent, const std::string& part, absl::string_view relative,
                           absl::string_view so_far) {
  struct stat st;
  if (fstatat(parent, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    return SymlinkError(relative, so_far);
  }
  return BadPath(kPathField, relative, absl::StrCat(Quoted(so_far), " is not a directory"));
}

// Walks the checked path `relative` from `root`, opening each directory
// component with openat(O_NOFOLLOW) relative to the one before, so that no
// link is followed. Creates missing directories (0700) when `create`.
absl::StatusOr<ImageLocation> Locate(int root, absl::string_view relative, bool create) {
  std::vector<absl::string_view> parts = absl::StrSplit(relative, '/');
  ScopedFd dir(fcntl(root, F_DUPFD_CLOEXEC, 0));
  if (dir.get() < 0) return SystemError(errno, "open the directory of", relative);
  constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    std::string part(parts[i]);
    absl::string_view so_far =
        relative.substr(0, static_cast<size_t>(parts[i].data() - relative.data()) + part.size());
    int fd = openat(dir.get(), part.c_str(), kDirFlags);
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(dir.get(), part.c_str(), 0700) == 0) {
        fsync(dir.get());  // the new directory's entry survives a crash
      } else if (errno != EEXIST) {
        return absl::ErrnoToStatus(errno, absl::StrCat("cannot create directory ", Quoted(so_far),
                                                       " for image ", Quoted(relative)));
      }
      fd = openat(dir.get(), part.c_str(), kDirFlags);
    }
    if (fd < 0) {
      int error = errno;
      if (error == ENOENT) return NoImage(relative);
      if (error == ELOOP || error == ENOTDIR) {
        return NotADirectory(dir.get(), part, relative, so_far);
      }
      return SystemError(error, "open the directory of", relative);
    }
    dir = ScopedFd(fd);
  }
  return ImageLocation{std::move(dir), std::string(parts.back())};
}

// Stats the image itself, not following a link: NOT_FOUND if missing,
// INVALID_ARGUMENT if it is not a regular file.
absl::StatusOr<struct stat> StatImage(const ImageLocation& where, absl::string_view relative) {
  struct stat st;
  if (fstatat(where.dir.get(), where.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return NoImage(relative);
    return SystemError(errno, "examine", relative);
  }
  if (absl::Status regular = CheckRegularFile(st, relative); !regular.ok()) return regular;
  return st;
}

// ".<name>.partial-<16 hex digits>", with `name` cut short to fit NAME_MAX.
absl::StatusOr<std::string> StagingName(absl::string_view name, absl::string_view relative) {
  unsigned char random[kRandomBytes];
  if (getrandom(random, sizeof(random), 0) != static_cast<ssize_t>(sizeof(random))) {
    return SystemError(errno, "name a staging file for", relative);
  }
  std::string suffix = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
  size_t room = kMaxComponentBytes - 1 - kPartialInfix.size() - suffix.size();
  return absl::StrCat(".", name.substr(0, room), kPartialInfix, suffix);
}

// renameat that fails with EEXIST rather than replace `to`.
int RenameNoReplace(int dir, const char* from, const char* to) {
  if (renameat2(dir, from, dir, to, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // A file system without RENAME_NOREPLACE: a hard link is as exclusive.
  if (linkat(dir, from, dir, to, 0) != 0) return -1;
  unlinkat(dir, from, 0);
  return 0;
}

// mkdir -p, with mode 0700 for what it creates.
absl::Status MakeDirectories(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      int error = errno;
      struct stat st;
      if (stat(prefix.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "cannot create the image directory ", path, ": ", prefix, ": ", std::strerror(error)));
      }
    }
    if (slash == std::string::npos) return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ImageDirectory>> ImageDirectory::Open(const std::string& path) {
  if (path.empty()) return absl::FailedPreconditionError("the image directory's path is empty");
  if (absl::Status made = MakeDirectories(path); !made.ok()) return made;
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the image directory ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<ImageDirectory>(new ImageDirectory(path, fd));
}

ImageDirectory::~ImageDirectory() { close(fd_); }

absl::StatusOr<std::string> ImageDirectory::CheckRelativePath(absl::string_view field,
                                                              absl::string_view path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is empty; give an image path relative to the image directory"));
  }
  if (path.size() > kMaxPathBytes) {
    return BadPath(field, path, absl::StrCat("longer than ", kMaxPathBytes, " bytes"));
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return BadPath(field, path, "control characters (and NUL) are not allowed");
    }
  }
  if (path.front() == '/') {
    return BadPath(field, path,
                   "absolute paths are not allowed; image paths are relative to the image "
                   "directory");
  }
  if (path.back() == '/') {
    return BadPath(field, path, "a trailing slash is not allowed; an image path names a file");
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty()) return BadPath(field, path, "empty components (\"//\") are not allowed");
    if (part == "..") {
      return BadPath(field, path,
                     "\"..\" is not allowed; image paths are relative to the image directory");
    }
    if (part == ".") return BadPath(field, path, "\".\" components are not allowed");
    if (part.size() > kMaxComponentBytes) {
      return BadPath(field, path,
                     absl::StrCat("component ", Quoted(part), " is longer than ",
                                  kMaxComponentBytes, " bytes"));
    }
    if (part.front() == '.') {
      return BadPath(field, path,
                     absl::StrCat("component ", Quoted(part),
                                  " starts with '.'; hidden names are not allowed in image paths"));
    }
  }
  return std::string(path);
}

absl::StatusOr<std::unique_ptr<StagedImage>> ImageDirectory::Create(absl::string_view relative,
                                                                    bool replace) {
  absl::StatusOr<std::string> checked = CheckRelativePath(kPathField, relative);
  if (!checked.ok()) return checked.status();
  absl::StatusOr<ImageLocation> where = Locate(fd_, *checked, /*create=*/true);
  if (!where.ok()) return where.status();
  struct stat st;
  if (fstatat(where->dir.get(), where->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (absl::Status regular = CheckRegularFile(st, *checked); !regular.ok()) return regular;
    if (!replace) {
      return absl::AlreadyExistsError(
          absl::StrCat("image ", Quoted(*checked), " already exists; choose another path"));
    }
  } else if (errno != ENOENT) {
    return SystemError(errno, "examine", *checked);
  }
  absl::StatusOr<std::string> staging = StagingName(where->name, *checked);
  if (!staging.ok()) return staging.status();
  int fd = openat(where->dir.get(), staging->c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return SystemError(errno, "create a staging file for", *checked);
  return std::unique_ptr<StagedImage>(new StagedImage(
      *std::move(checked), where->dir.release(), where->name, *std::move(staging), fd, replace));
}

absl::StatusOr<std::unique_ptr<stream::FileSource>> ImageDirectory::OpenForRead(
    absl::string_view relative) {
  absl::StatusOr<std::string> checked = CheckRelativePath(kPathField, relative);
  if (!checked.ok()) return checked.status();
  absl::StatusOr<ImageLocation> where = Locate(fd_, *checked, /*create=*/false);
  if (!where.ok()) return where.status();
  // Stat first so that a FIFO or device is never opened; O_NONBLOCK and the
  // fstat below cover one swapped in between.
  if (absl::StatusOr<struct stat> st = StatImage(*where, *checked); !st.ok()) return st.status();
  ScopedFd file(openat(where->dir.get(), where->name.c_str(),
                       O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0) {
    if (errno == ELOOP) return SymlinkError(*checked, *checked);
    if (errno == ENOENT) return NoImage(*checked);
    return SystemError(errno, "open", *checked);
  }
  struct stat st;
  if (fstat(file.get(), &st) != 0) return SystemError(errno, "examine", *checked);
  if (absl::Status regular = CheckRegularFile(st, *checked); !regular.ok()) return regular;
  int flags = fcntl(file.get(), F_GETFL);
  if (flags < 0 || fcntl(file.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return SystemError(errno, "open", *checked);
  }
  return std::make_unique<stream::FileSource>(
      file.release(), absl::StrCat("image ", Quoted(*checked)), /*owns_fd=*/true);
}

absl::Status ImageDirectory::Remove(absl::string_view relative) {
  absl::StatusOr<std::string> checked = CheckRelativePath(kPathField, relative);
  if (!checked.ok()) return checked.status();
  absl::StatusOr<ImageLocation> where = Locate(fd_, *checked, /*create=*/false);
  if (!where.ok()) return where.status();
  if (absl::StatusOr<struct stat> st = StatImage(*where, *checked); !st.ok()) return st.status();
  // Should a link replace the file meanwhile, unlinkat removes the link, not
  // what it points at.
  if (unlinkat(where->dir.get(), where->name.c_str(), 0) != 0) {
    if (errno == ENOENT) return NoImage(*checked);
    return SystemError(errno, "remove", *checked);
  }
  if (fsync(where->dir.get()) != 0) return SystemError(errno, "sync the removal of", *checked);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ImageDirectory::Size(absl::string_view relative) {
  absl::StatusOr<std::string> checked = CheckRelativePath(kPathField, relative);
  if (!checked.ok()) return checked.status();
  absl::StatusOr<ImageLocation> where = Locate(fd_, *checked, /*create=*/false);
  if (!where.ok()) return where.status();
  absl::StatusOr<struct stat> st = StatImage(*where, *checked);
  if (!st.ok()) return st.status();
  return static_cast<int64_t>(st->st_size);
}

StagedImage::StagedImage(std::string relative, int dir_fd, std::string final_name,
                         std::string staging_name, int file_fd, bool replace)
    : relative_(std::move(relative)),
      dir_fd_(dir_fd),
      final_name_(std::move(final_name)),
      staging_name_(std::move(staging_name)),
      file_fd_(file_fd),
      replace_(replace),
      sink_(file_fd, absl::StrCat("image ", Quoted(relative_)), /*owns_fd=*/false) {}

StagedImage::~StagedImage() {
  Abandon();
  close(file_fd_);
  close(dir_fd_);
}

absl::Status StagedImage::Commit() {
  if (done_) {
    return absl::FailedPreconditionError(
        absl::StrCat("image ", Quoted(relative_), " was already committed or abandoned"));
  }
  if (absl::Status flushed = sink_.Flush(); !flushed.ok()) return flushed;
  if (fsync(file_fd_) != 0) return SystemError(errno, "sync", relative_);
  int renamed = replace_ ? renameat(dir_fd_, staging_name_.c_str(), dir_fd_, final_name_.c_str())
                         : RenameNoReplace(dir_fd_, staging_name_.c_str(), final_name_.c_str());
  if (renamed != 0) {
    if (errno == EEXIST && !replace_) {
      return absl::AlreadyExistsError(absl::StrCat(
          "image ", Quoted(relative_), " was created by someone else while this one was written"));
    }
    return SystemError(errno, "give its name to", relative_);
  }
  done_ = true;
  if (fsync(dir_fd_) != 0) return SystemError(errno, "sync the directory of", relative_);
  return absl::OkStatus();
}

void StagedImage::Abandon() {
  if (done_) return;
  done_ = true;
  unlinkat(dir_fd_, staging_name_.c_str(), 0);
}

absl::StatusOr<std::string> DefaultImageName(absl::string_view domain_name, absl::Time now) {
  if (now == absl::InfiniteFuture() || now == absl::InfinitePast()) {
    return absl::InvalidArgumentError("an image name needs a finite time");
  }
  if (domain_name.empty() || domain_name.find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("domain name ", Quoted(domain_name), " cannot be part of an image file name"));
  }
  std::string name = absl::StrCat(
      domain_name, "-", absl::FormatTime("%Y%m%d-%H%M%S", now, absl::UTCTimeZone()), ".xsave");
  if (absl::StatusOr<std::string> checked = ImageDirectory::CheckRelativePath("image name", name);
      !checked.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("domain name ", Quoted(domain_name),
                     " cannot be part of an image file name: ", checked.status().message()));
  }
  return name;
}

absl::StatusOr<int> ImageDirectory::RemoveStaleStaging() {
  std::error_code error;
  std::filesystem::recursive_directory_iterator it(path_, std::filesystem::directory_options::none,
                                                   error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot list the image directory ", path_, ": ", error.message()));
  }
  int removed = 0;
  for (; it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot list the image directory ", path_, ": ", error.message()));
    }
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] != '.' || name.find(".partial-") == std::string::npos) continue;
    if (!it->is_regular_file(error) || it->is_symlink(error)) continue;
    if (std::filesystem::remove(it->path(), error)) ++removed;
  }
  return removed;
}

}  // namespace xenia::images
