// SaveDomain and RestoreDomain through the real daemon: real images in the
// real image directory, recorded in the real store; paths that would leave
// the directory refused; a damaged image restores nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon/stream/xl_image.h"
#include "grpcpp/client_context.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using xenia::v1::Operation;

class SaveRestoreTest : public DaemonFixture {
 protected:
  std::string image_dir() const { return state_dir() + "/images"; }

  grpc::Status Save(const std::string& name, const std::string& path, bool checkpoint,
                    Operation* op) {
    xenia::v1::SaveDomainRequest request;
    request.set_name("hosts/-/domains/" + name);
    request.set_path(path);
    request.set_checkpoint(checkpoint);
    grpc::ClientContext ctx;
    return daemon_->domains().SaveDomain(&ctx, request, op);
  }

  Operation SaveOrDie(const std::string& name, const std::string& path = "",
                      bool checkpoint = false) {
    Operation op;
    grpc::Status s = Save(name, path, checkpoint, &op);
    EXPECT_TRUE(s.ok()) << s.error_message();
    Operation done = WaitDone(op);
    EXPECT_EQ(done.state(), Operation::DONE) << done.DebugString();
    return done;
  }

  grpc::Status Restore(const xenia::v1::RestoreDomainRequest& request, Operation* op) {
    grpc::ClientContext ctx;
    return daemon_->domains().RestoreDomain(&ctx, request, op);
  }

  grpc::Status RestoreImage(const std::string& image, Operation* op) {
    xenia::v1::RestoreDomainRequest request;
    request.set_image(image);
    return Restore(request, op);
  }

  grpc::Status RestoreSuspended(const std::string& name, Operation* op) {
    xenia::v1::RestoreDomainRequest request;
    request.set_domain("hosts/-/domains/" + name);
    return Restore(request, op);
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
};

TEST_F(SaveRestoreTest, SaveSuspendsAndRestoreBringsTheDomainBack) {
  xenia::v1::Domain d = CreateOrDie("web1", 64);
  const int32_t domid = d.status().domid();
  Operation saved = SaveOrDie("web1", "web1.xsave");
  ASSERT_TRUE(saved.has_save_image()) << saved.DebugString();
  const xenia::v1::SaveImage& image = saved.save_image();
  EXPECT_EQ(image.name(), "hosts/testhost/saveImages/web1.xsave");
  EXPECT_EQ(image.domain(), "hosts/testhost/domains/web1");
  EXPECT_EQ(image.path(), "web1.xsave");
  EXPECT_EQ(image.format_version(), 1);
  EXPECT_EQ(image.digest().rfind("xxh3-128:", 0), 0u) << image.digest();
  EXPECT_FALSE(image.checkpoint());
  // The file is the whole stream: 64 MiB of pages and the framing.
  struct stat st;
  ASSERT_EQ(::stat((image_dir() + "/web1.xsave").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, image.size_bytes());
  EXPECT_GT(st.st_size, 64 << 20);
  // No staging file is left beside it.
  for (const auto& entry : std::filesystem::directory_iterator(image_dir())) {
    EXPECT_EQ(entry.path().filename(), "web1.xsave");
  }
  // Suspended, on record, with its image, in the store too.
  xenia::v1::Domain suspended = GetOrDie("web1");
  EXPECT_EQ(suspended.status().power_state(), xenia::v1::SUSPENDED);
  EXPECT_FALSE(suspended.status().has_domid());
  EXPECT_EQ(suspended.status().save_image(), image.name());
  EXPECT_EQ(CountRows("save_images"), 1);

  Operation op;
  ASSERT_TRUE(RestoreSuspended("web1", &op).ok());
  Operation restored = WaitDone(op);
  ASSERT_EQ(restored.state(), Operation::DONE) << restored.DebugString();
  EXPECT_EQ(restored.domain().status().power_state(), xenia::v1::RUNNING);
  EXPECT_NE(restored.domain().status().domid(), domid);
  EXPECT_TRUE(restored.domain().status().save_image().empty());
}

TEST_F(SaveRestoreTest, ACheckpointKeepsTheDomainRunning) {
  xenia::v1::Domain d = CreateOrDie("web1", 16);
  Operation saved = SaveOrDie("web1", "checkpoints/web1-1.xsave", /*checkpoint=*/true);
  EXPECT_TRUE(saved.save_image().checkpoint());
  xenia::v1::Domain after = GetOrDie("web1");
  EXPECT_EQ(after.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(after.status().domid(), d.status().domid());
  EXPECT_TRUE(std::filesystem::exists(image_dir() + "/checkpoints/web1-1.xsave"));
}

TEST_F(SaveRestoreTest, ADefaultNameIsChosen) {
  CreateOrDie("web1", 16);
  Operation saved = SaveOrDie("web1");
  EXPECT_EQ(saved.save_image().path().rfind("web1-", 0), 0u) << saved.save_image().path();
  EXPECT_TRUE(std::filesystem::exists(image_dir() + "/" + saved.save_image().path()));
}

TEST_F(SaveRestoreTest, PathsThatLeaveTheImageDirectoryAreRefused) {
  CreateOrDie("web1", 16);
  std::filesystem::create_directories(image_dir());
  std::filesystem::create_directories(dir_.path() + "/outside");
  std::filesystem::create_symlink(dir_.path() + "/outside", image_dir() + "/escape");
  for (const std::string& path :
       {std::string("../web1.xsave"), std::string("/tmp/web1.xsave"), std::string("a/../../b"),
        std::string("escape/web1.xsave"), std::string(".hidden")}) {
    Operation op;
    grpc::Status s = Save("web1", path, false, &op);
    if (s.ok()) {
      // A symlink is found when the file is opened, in the operation.
      Operation done = WaitDone(op);
      EXPECT_TRUE(
          EndedWith(done, Operation::FAILED, grpc::StatusCode::INVALID_ARGUMENT, {"symbolic link"}))
          << path;
    } else {
      EXPECT_TRUE(IsError(s, grpc::StatusCode::INVALID_ARGUMENT, {"path"})) << path;
    }
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/outside"));
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::RUNNING);
  Operation op;
  EXPECT_TRUE(IsError(RestoreImage("../../etc/passwd", &op), grpc::StatusCode::INVALID_ARGUMENT,
                      {"image", "\"..\""}));
}

TEST_F(SaveRestoreTest, AnImageRestoresADomainThatWasDeleted) {
  CreateOrDie("web1", 16);
  SaveOrDie("web1", "keep.xsave");
  Operation op;
  ASSERT_TRUE(Delete("web1", &op).ok());
  ASSERT_EQ(WaitDone(op).state(), Operation::DONE);
  ASSERT_TRUE(RestoreImage("keep.xsave", &op).ok());
  Operation restored = WaitDone(op);
  ASSERT_EQ(restored.state(), Operation::DONE) << restored.DebugString();
  EXPECT_EQ(restored.domain().spec().name(), "web1");
  EXPECT_EQ(restored.domain().status().power_state(), xenia::v1::RUNNING);
  // By resource name as well: the domain must be shut off first.
  ASSERT_TRUE(Destroy("web1", &op).ok());
  WaitDone(op);
  ASSERT_TRUE(RestoreImage("hosts/-/saveImages/keep.xsave", &op).ok());
  EXPECT_EQ(WaitDone(op).state(), Operation::DONE);
}

TEST_F(SaveRestoreTest, ADamagedImageRestoresNothingAndSaysWhere) {
  CreateOrDie("web1", 16);
  SaveOrDie("web1", "web1.xsave");
  const std::string path = image_dir() + "/web1.xsave";
  const std::string good = ReadFile(path);
  std::string damaged = good;
  damaged[damaged.size() / 2] ^= 0x20;
  WriteFile(path, damaged);
  Operation op;
  ASSERT_TRUE(RestoreSuspended("web1", &op).ok());
  Operation failed = WaitDone(op);
  EXPECT_TRUE(EndedWith(failed, Operation::FAILED, grpc::StatusCode::DATA_LOSS,
                        {"web1.xsave", "corrupted", "at byte"}))
      << failed.DebugString();
  xenia::v1::Domain still = GetOrDie("web1");
  EXPECT_EQ(still.status().power_state(), xenia::v1::SUSPENDED);
  // Nothing was left in the hypervisor: only dom0 runs.
  xenia::v1::ListSimulatedDomainsResponse sim;
  grpc::ClientContext ctx;
  ASSERT_TRUE(daemon_->simulator().ListSimulatedDomains(&ctx, {}, &sim).ok());
  EXPECT_EQ(sim.domains_size(), 1);

  WriteFile(path, good.substr(0, good.size() - 100));
  ASSERT_TRUE(RestoreSuspended("web1", &op).ok());
  EXPECT_TRUE(
      EndedWith(WaitDone(op), Operation::FAILED, grpc::StatusCode::DATA_LOSS, {"truncated"}));

  WriteFile(path, good);
  ASSERT_TRUE(RestoreSuspended("web1", &op).ok());
  EXPECT_EQ(WaitDone(op).state(), Operation::DONE);
}

TEST_F(SaveRestoreTest, AForeignFileIsRefusedAtOnce) {
  std::filesystem::create_directories(image_dir());
  WriteFile(image_dir() + "/notes.txt", "these are not the pages you are looking for\n");
  WriteFile(image_dir() + "/xl.save",
            stream::EncodeXlImageHeader(R"({"c_info": {"name": "xlguest", "uuid": )"
                                        R"("0f8fad5b-d9cb-469f-a165-70867728950e"}})") +
                "libxl's stream");
  Operation op;
  EXPECT_TRUE(IsError(RestoreImage("notes.txt", &op), grpc::StatusCode::INVALID_ARGUMENT,
                      {"notes.txt", "not a Xenia domain stream"}));
  // An image from xl (or from xeniad on a Xen host) is named as such; the
  // simulator does not restore it.
  EXPECT_TRUE(IsError(RestoreImage("xl.save", &op), grpc::StatusCode::INVALID_ARGUMENT,
                      {"is an xl save image", "Xen host"}));
  EXPECT_TRUE(IsError(RestoreImage("missing.xsave", &op), grpc::StatusCode::NOT_FOUND));
}

TEST_F(SaveRestoreTest, OnlyARunningOrPausedDomainIsSaved) {
  CreateOrDie("web1", 16, /*start=*/false);
  Operation op;
  EXPECT_TRUE(IsError(Save("web1", "", false, &op), grpc::StatusCode::FAILED_PRECONDITION,
                      {"shut off", "running or paused"}));
  EXPECT_TRUE(
      IsError(RestoreSuspended("web1", &op), grpc::StatusCode::FAILED_PRECONDITION, {"suspended"}));
}

TEST_F(SaveRestoreTest, ASuspendedDomainSurvivesARestart) {
  CreateOrDie("web1", 16);
  SaveOrDie("web1", "web1.xsave");
  KillAndRestartDaemon();
  xenia::v1::Domain d = GetOrDie("web1");
  EXPECT_EQ(d.status().power_state(), xenia::v1::SUSPENDED);
  Operation op;
  ASSERT_TRUE(RestoreSuspended("web1", &op).ok());
  EXPECT_EQ(WaitDone(op).domain().status().power_state(), xenia::v1::RUNNING);
}

}  // namespace
}  // namespace xenia::testing
