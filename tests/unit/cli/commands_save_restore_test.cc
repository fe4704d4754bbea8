// save and restore against FakeXeniad: the requests each command line makes,
// images streamed to a file given as stdout and from a file given as stdin,
// mid-stream failures, the terminal refusals, and what --wait prints.

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "cli/output/cells.h"
#include "cli/restore_source.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/unit/cli/commands_fixture.h"

namespace xenia::cli::testing {
namespace {

using xenia::v1::Operation;

constexpr size_t kMiB = size_t{1} << 20;

// `size` bytes that are not text: every byte value, zeros included.
std::string ImageBytes(size_t size) {
  std::mt19937 gen(42);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(gen() & 0xff);
  return bytes;
}

// A file in the test's temporary directory, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& name, const std::string& contents = "")
      : path_(::testing::TempDir() + "xenia-save-restore-" + name) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << contents;
  }
  ~TempFile() { unlink(path_.c_str()); }

  const std::string& path() const { return path_; }

  std::string Contents() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  std::string path_;
};

// A descriptor closed at the end of the test.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) { EXPECT_GE(fd, 0); }
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

BinaryStdio StdoutTo(int fd, bool tty = false) {
  BinaryStdio b;
  b.out_fd = fd;
  b.out_is_tty = tty;
  return b;
}

BinaryStdio StdinFrom(int fd, bool tty = false) {
  BinaryStdio b;
  b.in_fd = fd;
  b.in_is_tty = tty;
  return b;
}

Operation SavedOperation() {
  Operation op = MakeOperation(Operation::DONE, 100, "saved");
  xenia::v1::SaveImage* image = op.mutable_save_image();
  image->set_name("hosts/h1/saveImages/web1-1");
  image->set_domain("hosts/h1/domains/web1");
  image->set_path("web1/2024-05-01.xsave");
  image->set_size_bytes(int64_t{1536} << 20);
  image->set_digest("xxh3-128:00112233445566778899aabbccddeeff");
  return op;
}

Operation RestoredOperation(const std::string& name, xenia::v1::PowerState state) {
  Operation op = MakeOperation(Operation::DONE, 100);
  *op.mutable_domain() = MakeDomain(name, state, 5, 512, 1, 0);
  return op;
}

// --- save ------------------------------------------------------------------

TEST_F(CommandsTest, SaveSendsNamePathCheckpointAndRequestId) {
  SetSteps({MakeOperation(Operation::PENDING, 0)});
  Result r = Run({"save", "web1", "nightly/web1.xsave", "--checkpoint", "--request-id", "r-1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: SaveDomain accepted (operation hosts/h1/operations/op1)\n");
  EXPECT_EQ(r.err, "");
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_save.name(), "hosts/-/domains/web1");
    EXPECT_EQ(s.last_save.path(), "nightly/web1.xsave");
    EXPECT_TRUE(s.last_save.checkpoint());
    EXPECT_EQ(s.last_save.request_id(), "r-1");
  });
  EXPECT_EQ(Calls(), (std::vector<std::string>{"SaveDomain"}));
}

TEST_F(CommandsTest, SaveWithoutFileLetsXeniadChoose) {
  SetSteps({MakeOperation(Operation::PENDING, 0)});
  Result r = Run({"save", "hosts/h2/domains/db"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "db: SaveDomain accepted (operation hosts/h1/operations/op1)\n");
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_save.name(), "hosts/h2/domains/db");
    EXPECT_EQ(s.last_save.path(), "");
    EXPECT_FALSE(s.last_save.checkpoint());
    EXPECT_EQ(s.last_save.request_id(), "");
  });
}

TEST_F(CommandsTest, SaveWaitPrintsTheImage) {
  SetSteps({MakeOperation(Operation::RUNNING, 40, "writing memory"), SavedOperation()});
  Result r = Run({"save", "web1", "--wait"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "web1: saved\n"
            "image:  hosts/h1/saveImages/web1-1\n"
            "path:   web1/2024-05-01.xsave\n"
            "size:   1.5 GiB\n"
            "digest: xxh3-128:00112233445566778899aabbccddeeff\n");
  EXPECT_EQ(r.err, "[ 40%] writing memory\n[100%] saved\n");
}

TEST_F(CommandsTest, SaveWaitJsonPrintsTheOperationWithItsImage) {
  SetSteps({MakeOperation(Operation::RUNNING, 40), SavedOperation()});
  Result r = Run({"save", "web1", "--wait", "-o", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  Operation op;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &op).ok()) << r.out;
  EXPECT_EQ(op.save_image().size_bytes(), int64_t{1536} << 20);
}

TEST_F(CommandsTest, SaveWaitEndingInFailure) {
  SetSteps({MakeOperation(Operation::RUNNING, 10), Failed(8, "image directory is full")});
  Result r = Run({"save", "web1", "--wait"});
  EXPECT_EQ(r.rc, 6);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("SaveDomain on hosts/h1/domains/web1 failed: image directory is full"),
            std::string::npos)
      << r.err;
}

TEST_F(CommandsTest, SaveToStdoutWritesExactlyTheServedBytes) {
  const std::string image = ImageBytes(300 * 1024 + 7);
  fake_.With([&](FakeState& s) {
    s.save_stream_bytes = image;
    s.save_chunk_bytes = 64 * 1024;
  });
  TempFile file("out.xsave");
  Fd fd(open(file.path().c_str(), O_WRONLY | O_TRUNC));
  Result r = Run({"save", "web1", "-", "--checkpoint", "--request-id", "r-2"}, "", false,
                 StdoutTo(fd.get()));
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "web1: saved to stdout (300 KiB)\n");
  EXPECT_TRUE(file.Contents() == image) << "wrote " << file.Contents().size() << " bytes";
  EXPECT_EQ(Calls(), (std::vector<std::string>{"SaveDomainToStream"}));
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_save.name(), "hosts/-/domains/web1");
    EXPECT_EQ(s.last_save.path(), "");
    EXPECT_TRUE(s.last_save.checkpoint());
    EXPECT_EQ(s.last_save.request_id(), "r-2");
  });
}

TEST_F(CommandsTest, SaveToStdoutMidStreamErrorMapsTheCode) {
  const std::string image = ImageBytes(5 * 1000);
  fake_.With([&](FakeState& s) {
    s.save_stream_bytes = image;
    s.save_chunk_bytes = 1000;
    s.save_fail_after = 2;
    s.save_stream_failure =
        grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "domain web1 crashed while saving");
  });
  TempFile file("partial.xsave");
  Fd fd(open(file.path().c_str(), O_WRONLY | O_TRUNC));
  Result r = Run({"save", "web1", "-"}, "", false, StdoutTo(fd.get()));
  EXPECT_EQ(r.rc, 4);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "xenia: domain web1 crashed while saving\n"
            "xenia: the 2000 bytes written to stdout are not a complete image\n");
  EXPECT_TRUE(file.Contents() == image.substr(0, 2000));
}

TEST_F(CommandsTest, SaveToStdoutErrorBeforeAnyByte) {
  fake_.With([](FakeState& s) {
    s.fail_next =
        grpc::Status(grpc::StatusCode::NOT_FOUND, "domain hosts/-/domains/web9 not found");
  });
  TempFile file("none.xsave");
  Fd fd(open(file.path().c_str(), O_WRONLY | O_TRUNC));
  Result r = Run({"save", "web9", "-"}, "", false, StdoutTo(fd.get()));
  EXPECT_EQ(r.rc, 3);
  EXPECT_EQ(r.err, "xenia: domain hosts/-/domains/web9 not found\n");
  EXPECT_EQ(file.Contents(), "");
}

TEST_F(CommandsTest, SaveToStdoutRefusesATerminal) {
  TempFile file("tty.xsave");
  Fd fd(open(file.path().c_str(), O_WRONLY | O_TRUNC));
  Result r = Run({"save", "web1", "-"}, "", false, StdoutTo(fd.get(), /*tty=*/true));
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "xenia: refusing to write a binary image to a terminal; redirect it: "
            "xenia save web1 - > FILE\n");
  EXPECT_TRUE(Calls().empty());
}

TEST_F(CommandsTest, SaveToAClosedPipeFailsWithoutDying) {
  fake_.With([](FakeState& s) { s.save_stream_bytes = ImageBytes(200 * 1024); });
  int ends[2];
  ASSERT_EQ(pipe(ends), 0);
  close(ends[0]);
  Fd write_end(ends[1]);
  // SIGPIPE would end this test process; the command must turn it into EPIPE.
  Result r = Run({"save", "web1", "-"}, "", false, StdoutTo(write_end.get()));
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err.rfind("xenia: writing the image to stdout: Broken pipe (after 0 bytes", 0), 0u)
      << r.err;
}

TEST_F(CommandsTest, SaveToAFullDisk) {
  Fd full(open("/dev/full", O_WRONLY));
  if (full.get() < 0) GTEST_SKIP() << "no /dev/full";
  fake_.With([](FakeState& s) { s.save_stream_bytes = ImageBytes(1000); });
  Result r = Run({"save", "web1", "-"}, "", false, StdoutTo(full.get()));
  EXPECT_EQ(r.rc, 6);
  EXPECT_NE(r.err.find("xenia: writing the image to stdout: No space left on device"),
            std::string::npos)
      << r.err;
}

// --- restore ---------------------------------------------------------------

struct SourceCase {
  std::string arg;
  bool domain;  // else image
  std::string sent;
};

TEST_F(CommandsTest, RestoreChoosesDomainOrImage) {
  const SourceCase cases[] = {
      {"web1", true, "hosts/-/domains/web1"},
      {"hosts/h2/domains/db", true, "hosts/h2/domains/db"},
      {"./web1", false, "web1"},
      {"./nightly/web1.img", false, "nightly/web1.img"},
      {"nightly/web1.img", false, "nightly/web1.img"},
      {"web1.xsave", false, "web1.xsave"},
      {"hosts/h1/saveImages/web1-1", false, "hosts/h1/saveImages/web1-1"},
      {"../escape.xsave", false, "../escape.xsave"},
  };
  for (const SourceCase& c : cases) {
    SCOPED_TRACE(c.arg);
    SetSteps({MakeOperation(Operation::PENDING, 0)});
    Result r = Run({"restore", c.arg});
    EXPECT_EQ(r.rc, 0) << r.err;
    fake_.With([&](FakeState& s) {
      if (c.domain) {
        EXPECT_EQ(s.last_restore.source_case(), xenia::v1::RestoreDomainRequest::kDomain);
        EXPECT_EQ(s.last_restore.domain(), c.sent);
      } else {
        EXPECT_EQ(s.last_restore.source_case(), xenia::v1::RestoreDomainRequest::kImage);
        EXPECT_EQ(s.last_restore.image(), c.sent);
      }
      EXPECT_FALSE(s.last_restore.paused());
    });
  }
}

TEST_F(CommandsTest, RestoreSendsPausedAndRequestId) {
  SetSteps({MakeOperation(Operation::PENDING, 0)});
  Result r = Run({"restore", "./web1.img", "--paused", "--request-id", "r-3"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1.img: RestoreDomain accepted (operation hosts/h1/operations/op1)\n");
  fake_.With([](FakeState& s) {
    EXPECT_TRUE(s.last_restore.paused());
    EXPECT_EQ(s.last_restore.request_id(), "r-3");
    EXPECT_EQ(s.last_restore.image(), "web1.img");
  });
  EXPECT_EQ(Calls(), (std::vector<std::string>{"RestoreDomain"}));
}

TEST_F(CommandsTest, RestoreWaitPrintsTheRestoredDomain) {
  SetSteps({MakeOperation(Operation::RUNNING, 50, "loading memory"),
            RestoredOperation("web1", xenia::v1::RUNNING)});
  Result r = Run({"restore", "nightly/web1.img", "--wait"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: restored\n");

  SetSteps({MakeOperation(Operation::RUNNING, 50), RestoredOperation("web1", xenia::v1::PAUSED)});
  r = Run({"restore", "web1", "--paused", "--wait"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: restored (paused)\n");
}

TEST_F(CommandsTest, RestoreDaemonErrorMapsTheCode) {
  fake_.With([](FakeState& s) {
    s.fail_next = grpc::Status(grpc::StatusCode::NOT_FOUND, "no save image for web1");
  });
  Result r = Run({"restore", "web1"});
  EXPECT_EQ(r.rc, 3);
  EXPECT_EQ(r.err, "xenia: no save image for web1\n");
}

TEST_F(CommandsTest, RestoreFromStdinStreamsTheFileInOrder) {
  const std::string image = ImageBytes(2 * kMiB + kMiB / 2 + 3);
  TempFile file("in.xsave", image);
  Fd fd(open(file.path().c_str(), O_RDONLY));
  SetSteps({MakeOperation(Operation::PENDING, 0)});
  Result r =
      Run({"restore", "-", "--paused", "--request-id", "r-4"}, "", false, StdinFrom(fd.get()));
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "<stdin>: RestoreDomainFromStream accepted (operation hosts/h1/operations/op1)\n");
  EXPECT_EQ(Calls(), (std::vector<std::string>{"RestoreDomainFromStream"}));
  fake_.With([&](FakeState& s) {
    EXPECT_TRUE(s.restored_bytes == image) << "received " << s.restored_bytes.size() << " bytes";
    EXPECT_EQ(s.restored_chunk_sizes, (std::vector<size_t>{kMiB, kMiB, kMiB / 2 + 3}));
    EXPECT_TRUE(s.last_restore.paused());
    EXPECT_EQ(s.last_restore.request_id(), "r-4");
    EXPECT_EQ(s.last_restore.source_case(), xenia::v1::RestoreDomainRequest::SOURCE_NOT_SET);
  });
}

TEST_F(CommandsTest, RestoreFromStdinWaitsForTheDomain) {
  const std::string image = ImageBytes(kMiB);
  TempFile file("exact.xsave", image);
  Fd fd(open(file.path().c_str(), O_RDONLY));
  SetSteps({MakeOperation(Operation::RUNNING, 20), RestoredOperation("web1", xenia::v1::RUNNING)});
  Result r = Run({"restore", "-", "--wait"}, "", false, StdinFrom(fd.get()));
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: restored\n");
  fake_.With([&](FakeState& s) {
    EXPECT_TRUE(s.restored_bytes == image);
    EXPECT_EQ(s.restored_chunk_sizes, (std::vector<size_t>{kMiB}));
  });
}

TEST_F(CommandsTest, RestoreFromStdinDaemonErrorMapsTheCode) {
  TempFile file("bad.xsave", "not an image");
  Fd fd(open(file.path().c_str(), O_RDONLY));
  fake_.With([](FakeState& s) {
    s.fail_next = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not a xenia save image");
  });
  Result r = Run({"restore", "-"}, "", false, StdinFrom(fd.get()));
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "xenia: not a xenia save image\n");
}

TEST_F(CommandsTest, RestoreFromStdinRefusesATerminal) {
  TempFile file("tty-in.xsave", "x");
  Fd fd(open(file.path().c_str(), O_RDONLY));
  Result r = Run({"restore", "-"}, "", false, StdinFrom(fd.get(), /*tty=*/true));
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err,
            "xenia: refusing to read a binary image from a terminal; redirect it: "
            "xenia restore - < FILE\n");
  EXPECT_TRUE(Calls().empty());
}

TEST_F(CommandsTest, RestoreFromAnUnreadableStdin) {
  // A directory opens but cannot be read: EISDIR.
  Fd fd(open(::testing::TempDir().c_str(), O_RDONLY | O_DIRECTORY));
  Result r = Run({"restore", "-"}, "", false, StdinFrom(fd.get()));
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "xenia: reading the image from stdin: Is a directory\n");
}

TEST_F(CommandsTest, RestoreBadSourceIsAUsageError) {
  Result r = Run({"restore", "./"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, "xenia: restore: \"./\" names no image file\n");
  EXPECT_TRUE(Calls().empty());
}

TEST(SaveRestoreHelpTest, BothAreListedWithTheRule) {
  CommandLine line;
  const std::string help = line.Help();
  EXPECT_NE(help.find("Save a domain's memory and device state to an image"), std::string::npos)
      << help;
  EXPECT_NE(help.find("Bring a domain back from a save image"), std::string::npos) << help;
  std::ostringstream out, err;
  const char* argv[] = {"xenia", "restore", "--help"};
  EXPECT_EQ(line.Parse(3, argv, out, err), 0);
  EXPECT_NE(out.str().find("./FILE"), std::string::npos) << out.str();
}

// --- pure parts ------------------------------------------------------------

TEST(RestoreSourceTest, Rules) {
  using Kind = RestoreSource::Kind;
  auto kind = [](absl::string_view arg) { return ParseRestoreSource(arg)->kind; };
  auto value = [](absl::string_view arg) { return ParseRestoreSource(arg)->value; };
  EXPECT_EQ(kind("-"), Kind::kStdin);
  EXPECT_EQ(kind("web1"), Kind::kDomain);
  EXPECT_EQ(value("web1"), "hosts/-/domains/web1");
  EXPECT_EQ(kind("web1.img"), Kind::kDomain);  // a bare word, even with a dot
  EXPECT_EQ(kind("web1.xsave"), Kind::kImage);
  EXPECT_EQ(kind("./web1.img"), Kind::kImage);
  EXPECT_EQ(value("./web1.img"), "web1.img");
  EXPECT_EQ(kind("/var/lib/xenia/images/a"), Kind::kImage);
  EXPECT_EQ(kind("hosts/h1/domains/web1"), Kind::kDomain);
  EXPECT_EQ(kind("hosts/h1/saveImages/i1"), Kind::kImage);
  // Not a domain's resource name: a path that starts with "hosts".
  EXPECT_EQ(kind("hosts/h1/domains/web1/a.img"), Kind::kImage);
  EXPECT_EQ(value("hosts/h1/domains/web1/a.img"), "hosts/h1/domains/web1/a.img");
  EXPECT_EQ(ParseRestoreSource("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRestoreSource("./").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FormatBytesTest, HumanUnits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1 KiB");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(int64_t{512} << 20), "512 MiB");
  EXPECT_EQ(FormatBytes((int64_t{1} << 20) - 1), "1 MiB");
  EXPECT_EQ(FormatBytes(int64_t{1536} << 20), "1.5 GiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 40), "3 TiB");
}

}  // namespace
}  // namespace xenia::cli::testing
