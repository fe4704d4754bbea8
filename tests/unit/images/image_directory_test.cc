// The image directory on real temporary directories: every malformed path is
// refused with a message naming it; no symbolic link is followed, wherever it
// is in the path and wherever it points; a staged image appears only when
// committed and leaves nothing behind otherwise.
#include "daemon/images/image_directory.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xenia::images {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The names in a directory, sorted.
std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadAll(stream::ByteSource& source) {
  std::string content;
  char buffer[4096];
  for (;;) {
    absl::StatusOr<size_t> n = source.Read(buffer, sizeof(buffer));
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok() || *n == 0) return content;
    content.append(buffer, *n);
  }
}

// A temporary directory holding "images/" (the image directory) and
// "outside/secret", which nothing may touch.
class ImageDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/xenia-images-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    root_ = base_ + "/images";
    outside_ = base_ + "/outside";
    absl::StatusOr<std::unique_ptr<ImageDirectory>> images = ImageDirectory::Open(root_);
    ASSERT_TRUE(images.ok()) << images.status();
    images_ = *std::move(images);
    fs::create_directory(outside_);
    WriteFile(outside_ + "/secret", "secret");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  // Creates, writes and commits an image.
  void Put(const std::string& relative, const std::string& content, bool replace = false) {
    absl::StatusOr<std::unique_ptr<StagedImage>> staged = images_->Create(relative, replace);
    ASSERT_TRUE(staged.ok()) << staged.status();
    ASSERT_TRUE((*staged)->sink().Write(content).ok());
    absl::Status committed = (*staged)->Commit();
    ASSERT_TRUE(committed.ok()) << committed;
  }

  std::string Get(const std::string& relative) {
    absl::StatusOr<std::unique_ptr<stream::FileSource>> source = images_->OpenForRead(relative);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? ReadAll(**source) : "";
  }

  // Every operation on `relative` is refused with `code` and a message
  // containing `message`.
  void ExpectAllRefused(const std::string& relative, absl::StatusCode code,
                        const std::string& message) {
    SCOPED_TRACE(relative);
    for (bool replace : {false, true}) {
      absl::Status created = images_->Create(relative, replace).status();
      EXPECT_EQ(created.code(), code) << "Create, replace=" << replace << ": " << created;
      EXPECT_THAT(std::string(created.message()), HasSubstr(message));
    }
    absl::Status opened = images_->OpenForRead(relative).status();
    EXPECT_EQ(opened.code(), code) << "OpenForRead: " << opened;
    EXPECT_THAT(std::string(opened.message()), HasSubstr(message));
    absl::Status removed = images_->Remove(relative);
    EXPECT_EQ(removed.code(), code) << "Remove: " << removed;
    EXPECT_THAT(std::string(removed.message()), HasSubstr(message));
    absl::Status sized = images_->Size(relative).status();
    EXPECT_EQ(sized.code(), code) << "Size: " << sized;
    EXPECT_THAT(std::string(sized.message()), HasSubstr(message));
  }

  std::string base_;
  std::string root_;
  std::string outside_;
  std::unique_ptr<ImageDirectory> images_;
};

TEST(ImageDirectoryOpenTest, CreatesTheDirectoryAndItsParentsPrivate) {
  std::string pattern = ::testing::TempDir() + "/xenia-images-XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  std::string path = pattern + "/a/b/images";
  absl::StatusOr<std::unique_ptr<ImageDirectory>> images = ImageDirectory::Open(path);
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_EQ((*images)->path(), path);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Opening it again is fine.
  EXPECT_TRUE(ImageDirectory::Open(path).ok());
  std::error_code ignored;
  fs::remove_all(pattern, ignored);
}

TEST(ImageDirectoryOpenTest, RefusesAFile) {
  std::string pattern = ::testing::TempDir() + "/xenia-images-XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  WriteFile(pattern + "/file", "x");
  absl::Status opened = ImageDirectory::Open(pattern + "/file").status();
  EXPECT_EQ(opened.code(), absl::StatusCode::kFailedPrecondition) << opened;
  EXPECT_THAT(std::string(opened.message()), HasSubstr(pattern + "/file"));
  std::error_code ignored;
  fs::remove_all(pattern, ignored);
}

TEST(CheckRelativePathTest, AcceptsPlainRelativePaths) {
  for (std::string path :
       {std::string("web1.xsave"), std::string("nightly/web1/2026-11-24.xsave"),
        std::string("with space and ünïcode"), std::string("a.b..c"), std::string("x..")}) {
    absl::StatusOr<std::string> checked = ImageDirectory::CheckRelativePath("image_path", path);
    ASSERT_TRUE(checked.ok()) << path << ": " << checked.status();
    EXPECT_EQ(*checked, path);
  }
}

TEST(CheckRelativePathTest, AcceptsTheLongestPathAndComponent) {
  std::string component(255, 'c');
  EXPECT_TRUE(ImageDirectory::CheckRelativePath("p", component).ok());
  // 15 components of 255 bytes, one of 254, one of 1, and 16 slashes.
  std::string path;
  for (int i = 0; i < 15; ++i) path = absl::StrCat(path, component, "/");
  path = absl::StrCat(path, std::string(254, 'c'), "/x");
  ASSERT_EQ(path.size(), 4096u);
  absl::StatusOr<std::string> checked = ImageDirectory::CheckRelativePath("p", path);
  EXPECT_TRUE(checked.ok()) << checked.status();
}

TEST(CheckRelativePathTest, NamesTheFieldAndThePath) {
  absl::Status status = ImageDirectory::CheckRelativePath("image_path", "../etc/passwd").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "image_path \"../etc/passwd\": \"..\" is not allowed; image paths are relative to the "
            "image directory");
}

struct BadPath {
  std::string path;
  std::string why;
};

TEST(CheckRelativePathTest, RefusesEveryBadForm) {
  std::string long_component(256, 'c');
  std::vector<BadPath> bad = {
      {"", "image_path is empty"},
      {"/etc/passwd", "absolute paths are not allowed"},
      {"/", "absolute paths are not allowed"},
      {"..", "\"..\" is not allowed"},
      {"../etc/passwd", "\"..\" is not allowed"},
      {"a/../b", "\"..\" is not allowed"},
      {"a/..", "\"..\" is not allowed"},
      {".", "\".\" components are not allowed"},
      {"./a", "\".\" components are not allowed"},
      {"a/./b", "\".\" components are not allowed"},
      {"a//b", "empty components (\"//\") are not allowed"},
      {"a/", "a trailing slash is not allowed"},
      {"a/b/", "a trailing slash is not allowed"},
      {"a\nb", "control characters"},
      {"a\tb", "control characters"},
      {"a\x7f", "control characters"},
      {std::string("a\0b", 3), "control characters"},
      {std::string(4097, 'a'), "longer than 4096 bytes"},
      {long_component, "is longer than 255 bytes"},
      {absl::StrCat("dir/", long_component, "/x"), "is longer than 255 bytes"},
      {".hidden", "component \".hidden\" starts with '.'"},
      {"dir/.hidden/x", "component \".hidden\" starts with '.'"},
      {".web1.xsave.partial-0123456789abcdef", "starts with '.'"},
  };
  for (const BadPath& b : bad) {
    absl::Status status = ImageDirectory::CheckRelativePath("image_path", b.path).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << b.path;
    EXPECT_THAT(std::string(status.message()), HasSubstr(b.why)) << b.path;
    EXPECT_THAT(std::string(status.message()), StartsWith("image_path")) << b.path;
  }
}

TEST(CheckRelativePathTest, EscapesAndShortensThePathInMessages) {
  absl::Status status = ImageDirectory::CheckRelativePath("p", std::string("a\0b\n", 4)).status();
  EXPECT_THAT(std::string(status.message()), StartsWith("p \"a\\"));
  EXPECT_EQ(status.message().find('\n'), absl::string_view::npos);
  EXPECT_EQ(status.message().find('\0'), absl::string_view::npos);
  status = ImageDirectory::CheckRelativePath("p", std::string(5000, 'a')).status();
  EXPECT_LT(status.message().size(), 300u);
}

TEST_F(ImageDirectoryTest, EveryOperationChecksThePath) {
  ExpectAllRefused("../outside/secret", absl::StatusCode::kInvalidArgument,
                   "path \"../outside/secret\": \"..\" is not allowed");
  ExpectAllRefused(outside_ + "/secret", absl::StatusCode::kInvalidArgument,
                   "absolute paths are not allowed");
  ExpectAllRefused(".hidden", absl::StatusCode::kInvalidArgument, "starts with '.'");
  EXPECT_THAT(List(outside_), ElementsAre("secret"));
  EXPECT_EQ(ReadFile(outside_ + "/secret"), "secret");
  EXPECT_THAT(List(root_), IsEmpty());
}

TEST_F(ImageDirectoryTest, CommittedImageReadsBack) {
  std::string content = "header";
  for (int i = 0; i < 300000; ++i) content.push_back(static_cast<char>(i * 7));
  absl::StatusOr<std::unique_ptr<StagedImage>> staged = images_->Create("web1.xsave", false);
  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ((*staged)->relative_path(), "web1.xsave");
  ASSERT_TRUE((*staged)->sink().Write(content.substr(0, 6)).ok());
  ASSERT_TRUE((*staged)->sink().Write(content.substr(6)).ok());
  // Until committed, only the staging file is there.
  std::vector<std::string> during = List(root_);
  ASSERT_THAT(during, SizeIs(1));
  EXPECT_THAT(during[0], StartsWith(".web1.xsave.partial-"));
  ASSERT_TRUE((*staged)->Commit().ok());
  EXPECT_THAT(List(root_), ElementsAre("web1.xsave"));
  EXPECT_EQ(Get("web1.xsave"), content);
  absl::StatusOr<int64_t> size = images_->Size("web1.xsave");
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, static_cast<int64_t>(content.size()));
  // A second Commit is a mistake; destroying it now removes nothing.
  EXPECT_EQ((*staged)->Commit().code(), absl::StatusCode::kFailedPrecondition);
  staged->reset();
  EXPECT_THAT(List(root_), ElementsAre("web1.xsave"));
}

TEST_F(ImageDirectoryTest, UncommittedImageLeavesNothingBehind) {
  {
    absl::StatusOr<std::unique_ptr<StagedImage>> staged = images_->Create("web1.xsave", false);
    ASSERT_TRUE(staged.ok()) << staged.status();
    ASSERT_TRUE((*staged)->sink().Write("partial").ok());
    ASSERT_TRUE((*staged)->sink().Flush().ok());
    EXPECT_THAT(List(root_), SizeIs(1));
  }
  EXPECT_THAT(List(root_), IsEmpty());

  absl::StatusOr<std::unique_ptr<StagedImage>> abandoned = images_->Create("sub/web1.xsave", false);
  ASSERT_TRUE(abandoned.ok()) << abandoned.status();
  ASSERT_TRUE((*abandoned)->sink().Write("partial").ok());
  (*abandoned)->Abandon();
  EXPECT_THAT(List(root_ + "/sub"), IsEmpty());
  EXPECT_EQ((*abandoned)->Commit().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(List(root_ + "/sub"), IsEmpty());
}

TEST_F(ImageDirectoryTest, ExistingImageNeedsReplace) {
  Put("web1.xsave", "old");
  absl::Status again = images_->Create("web1.xsave", false).status();
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_THAT(std::string(again.message()), HasSubstr("\"web1.xsave\""));
  EXPECT_EQ(Get("web1.xsave"), "old");

  Put("web1.xsave", "new", /*replace=*/true);
  EXPECT_EQ(Get("web1.xsave"), "new");
  EXPECT_THAT(List(root_), ElementsAre("web1.xsave"));
}

TEST_F(ImageDirectoryTest, ImageThatAppearsWhileWritingIsNotReplaced) {
  absl::StatusOr<std::unique_ptr<StagedImage>> first = images_->Create("web1.xsave", false);
  absl::StatusOr<std::unique_ptr<StagedImage>> second = images_->Create("web1.xsave", false);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE((*first)->sink().Write("first").ok());
  ASSERT_TRUE((*second)->sink().Write("second").ok());
  ASSERT_TRUE((*first)->Commit().ok());
  EXPECT_EQ((*second)->Commit().code(), absl::StatusCode::kAlreadyExists);
  second->reset();
  EXPECT_THAT(List(root_), ElementsAre("web1.xsave"));
  EXPECT_EQ(Get("web1.xsave"), "first");
}

TEST_F(ImageDirectoryTest, MissingParentsAreCreatedPrivate) {
  Put("nightly/web1/monday.xsave", "image");
  EXPECT_EQ(ReadFile(root_ + "/nightly/web1/monday.xsave"), "image");
  for (std::string dir : {root_ + "/nightly", root_ + "/nightly/web1"}) {
    struct stat st;
    ASSERT_EQ(stat(dir.c_str(), &st), 0) << dir;
    EXPECT_EQ(st.st_mode & 0777, 0700u) << dir;
  }
  EXPECT_EQ(Get("nightly/web1/monday.xsave"), "image");
}

TEST_F(ImageDirectoryTest, LongestNameStillStages) {
  std::string name(255, 'n');
  Put(name, "image");
  EXPECT_THAT(List(root_), ElementsAre(name));
  EXPECT_EQ(Get(name), "image");
}

TEST_F(ImageDirectoryTest, MissingImagesAreNotFound) {
  for (std::string relative : {"missing.xsave", "nodir/missing.xsave"}) {
    absl::Status opened = images_->OpenForRead(relative).status();
    EXPECT_EQ(opened.code(), absl::StatusCode::kNotFound) << opened;
    EXPECT_THAT(std::string(opened.message()), HasSubstr(absl::StrCat("\"", relative, "\"")));
    EXPECT_EQ(images_->Remove(relative).code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(images_->Size(relative).status().code(), absl::StatusCode::kNotFound);
  }
  // Looking does not create directories.
  EXPECT_THAT(List(root_), IsEmpty());
}

TEST_F(ImageDirectoryTest, RemoveRemovesTheImage) {
  Put("sub/web1.xsave", "image");
  ASSERT_TRUE(images_->Remove("sub/web1.xsave").ok());
  EXPECT_THAT(List(root_ + "/sub"), IsEmpty());
  EXPECT_EQ(images_->Remove("sub/web1.xsave").code(), absl::StatusCode::kNotFound);
}

TEST_F(ImageDirectoryTest, SymbolicLinksAreRefusedWhereverTheyPoint) {
  Put("real.xsave", "real");
  Put("sub/real.xsave", "sub-real");
  ASSERT_EQ(symlink((outside_ + "/secret").c_str(), (root_ + "/link-out").c_str()), 0);
  ASSERT_EQ(symlink((root_ + "/real.xsave").c_str(), (root_ + "/link-in").c_str()), 0);
  ASSERT_EQ(symlink("real.xsave", (root_ + "/link-relative").c_str()), 0);
  ASSERT_EQ(symlink("missing", (root_ + "/link-dangling").c_str()), 0);
  ASSERT_EQ(symlink(outside_.c_str(), (root_ + "/dir-out").c_str()), 0);
  ASSERT_EQ(symlink("sub", (root_ + "/dir-in").c_str()), 0);
  ASSERT_EQ(symlink("..", (root_ + "/sub/up").c_str()), 0);

  struct Case {
    std::string path;
    std::string link;
  };
  for (const Case& c : std::vector<Case>{
           {"link-out", "link-out"},
           {"link-in", "link-in"},
           {"link-relative", "link-relative"},
           {"link-dangling", "link-dangling"},
           {"dir-out/secret", "dir-out"},
           {"dir-out/new.xsave", "dir-out"},
           {"dir-in/real.xsave", "dir-in"},
           {"sub/up/real.xsave", "sub/up"},
           {"sub/up/sub/real.xsave", "sub/up"},
       }) {
    ExpectAllRefused(c.path, absl::StatusCode::kInvalidArgument,
                     absl::StrCat("\"", c.link,
                                  "\" is a symbolic link; image paths may not leave the image "
                                  "directory"));
  }
  // Nothing was touched, inside or out, and no staging file was left.
  EXPECT_THAT(List(outside_), ElementsAre("secret"));
  EXPECT_EQ(ReadFile(outside_ + "/secret"), "secret");
  EXPECT_THAT(List(root_), ElementsAre("dir-in", "dir-out", "link-dangling", "link-in", "link-out",
                                       "link-relative", "real.xsave", "sub"));
  EXPECT_THAT(List(root_ + "/sub"), ElementsAre("real.xsave", "up"));
  EXPECT_EQ(Get("real.xsave"), "real");
  EXPECT_EQ(Get("sub/real.xsave"), "sub-real");
}

TEST_F(ImageDirectoryTest, FifoIsRefusedWithoutBeingOpened) {
  ASSERT_EQ(mkfifo((root_ + "/fifo").c_str(), 0600), 0);
  // Opening a FIFO with no writer would block: this returning at all matters.
  ExpectAllRefused("fifo", absl::StatusCode::kInvalidArgument, "is not a regular file");
  EXPECT_THAT(List(root_), ElementsAre("fifo"));
}

TEST_F(ImageDirectoryTest, DirectoryIsNotAnImage) {
  fs::create_directory(root_ + "/dir");
  ExpectAllRefused("dir", absl::StatusCode::kInvalidArgument, "is a directory, not an image");
  EXPECT_THAT(List(root_), ElementsAre("dir"));
}

TEST_F(ImageDirectoryTest, FileIsNotADirectory) {
  Put("file", "image");
  ExpectAllRefused("file/x.xsave", absl::StatusCode::kInvalidArgument,
                   "\"file\" is not a directory");
  EXPECT_EQ(Get("file"), "image");
}

TEST_F(ImageDirectoryTest, StagingFilesOfSavesCutShortAreRemovedAndNothingElse) {
  Put("web1.xsave", "image");
  Put("nightly/web2.xsave", "image");
  WriteFile(root_ + "/.web3.xsave.partial-0123456789abcdef", "half an image");
  WriteFile(root_ + "/nightly/.web4.xsave.partial-fedcba9876543210", "half an image");
  WriteFile(outside_ + "/.x.partial-1", "not ours");
  fs::create_symlink(outside_ + "/.x.partial-1", root_ + "/.y.partial-2");
  fs::create_symlink(outside_, root_ + "/linked");
  absl::StatusOr<int> removed = images_->RemoveStaleStaging();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  EXPECT_FALSE(fs::exists(root_ + "/.web3.xsave.partial-0123456789abcdef"));
  EXPECT_FALSE(fs::exists(root_ + "/nightly/.web4.xsave.partial-fedcba9876543210"));
  EXPECT_EQ(Get("web1.xsave"), "image");
  EXPECT_EQ(Get("nightly/web2.xsave"), "image");
  // Links are neither followed nor removed.
  EXPECT_TRUE(fs::exists(outside_ + "/.x.partial-1"));
  EXPECT_TRUE(fs::is_symlink(root_ + "/.y.partial-2"));
}

TEST(DefaultImageNameTest, IsTheDomainAndTheTimeInUtc) {
  absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 11, 24, 10, 15, 0), absl::UTCTimeZone());
  absl::StatusOr<std::string> name = DefaultImageName("web1", now);
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, "web1-20261124-101500.xsave");
  EXPECT_TRUE(ImageDirectory::CheckRelativePath("p", *name).ok());
}

TEST(DefaultImageNameTest, RefusesNamesThatCannotBeFileNames) {
  absl::Time now = absl::UnixEpoch();
  for (std::string domain : {std::string(""), std::string("a/b"), std::string(".web1"),
                             std::string(".."), std::string("a\nb"), std::string(300, 'd')}) {
    absl::Status status = DefaultImageName(domain, now).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << domain;
    EXPECT_THAT(std::string(status.message()), HasSubstr("domain name")) << domain;
  }
  EXPECT_FALSE(DefaultImageName("web1", absl::InfiniteFuture()).ok());
}

}  // namespace
}  // namespace xenia::images
