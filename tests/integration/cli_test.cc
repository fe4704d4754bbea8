// The real xenia CLI against the real daemon: the lifecycle an xl user runs,
// spec files, output formats and the documented exit codes.

#include "absl/strings/match.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using CliTest = DaemonFixture;

TEST_F(CliTest, TheWholeLifecycle) {
  CliResult r =
      Xenia({"create", "--name", "web1", "--memory", "512M", "--vcpus", "2", "--start", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("web1: created and started"), std::string::npos) << r.out;

  r = Xenia({"list"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("NAME"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("web1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("running"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("512"), std::string::npos) << r.out;

  r = Xenia({"pause", "web1", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::PAUSED);
  r = Xenia({"unpause", "web1", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::RUNNING);

  r = Xenia({"info", "web1"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("running"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("512 MiB"), std::string::npos) << r.out;

  r = Xenia({"reboot", "web1", "--timeout", "10s", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"shutdown", "web1", "--timeout", "10s", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::SHUTOFF);
  r = Xenia({"start", "web1", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"destroy", "web1", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"delete", "web1", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  xenia::v1::Domain gone;
  EXPECT_EQ(Get("web1", &gone).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CliTest, SaveAndRestoreThroughTheImageDirectory) {
  CreateOrDie("web1", 32);
  CliResult r = Xenia({"save", "web1", "nightly/web1.xsave", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("web1: saved"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nightly/web1.xsave"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("xxh3-128:"), std::string::npos) << r.out;
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::SUSPENDED);

  r = Xenia({"restore", "web1", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("web1: restored"), std::string::npos) << r.out;
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::RUNNING);

  r = Xenia({"save", "web1", "../outside.xsave", "--wait"});
  EXPECT_EXIT_CODE(r, 2);
  EXPECT_NE(r.err.find("\"..\" is not allowed"), std::string::npos) << r.err;
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::RUNNING);

  r = Xenia({"destroy", "web1", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"restore", "./nightly/web1.xsave", "--paused", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("web1: restored (paused)"), std::string::npos) << r.out;
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::PAUSED);
}

TEST_F(CliTest, SaveToStdoutAndRestoreFromStdin) {
  CreateOrDie("web1", 16);
  CliResult saved = Xenia({"save", "web1", "-"});
  EXPECT_EXIT_CODE(saved, 0);
  // stdout is the image and nothing else; the report goes to stderr.
  EXPECT_EQ(saved.out.substr(0, 8), std::string("\x89XENIA\r\n"));
  EXPECT_GT(saved.out.size(), size_t{16} << 20);
  EXPECT_NE(saved.err.find("web1: saved to stdout"), std::string::npos) << saved.err;
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::SUSPENDED);

  CliResult r = Xenia({"restore", "-", "--wait"}, saved.out);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("restored"), std::string::npos) << r.out;
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::RUNNING);

  // Half an image: refused, saying so, and the domain is as it was.
  r = Xenia({"restore", "-", "--wait"}, saved.out.substr(0, saved.out.size() / 2));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("running"), std::string::npos) << r.err;
  r = Xenia({"destroy", "web1", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"restore", "-", "--wait"}, saved.out.substr(0, saved.out.size() / 2));
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_NE(r.err.find("is truncated"), std::string::npos) << r.err;
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::SHUTOFF);
}

TEST_F(CliTest, SpecFilesInYamlFromAFileAndJsonFromStdin) {
  std::string yaml = WriteFile("web.yaml", R"(name: web2
type: HVM
memoryMib: 256
vcpus: 2
onCrash: RESTART
labels: {team: web}
)");
  CliResult r = Xenia({"create", yaml});
  EXPECT_EXIT_CODE(r, 0);
  xenia::v1::Domain d = GetOrDie("web2");
  EXPECT_EQ(d.spec().type(), xenia::v1::HVM);
  EXPECT_EQ(d.spec().on_crash(), xenia::v1::RESTART);
  EXPECT_EQ(d.spec().labels().at("team"), "web");

  r = Xenia({"create", "-", "--start", "--wait"}, R"({"name": "web3", "memory_mib": 128})");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(GetOrDie("web3").status().power_state(), xenia::v1::RUNNING);

  r = Xenia({"-o", "json", "list"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("\"powerState\": \"RUNNING\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"memoryMib\": 256"), std::string::npos) << r.out;
  r = Xenia({"list", "-o", "yaml", "--state", "running"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("name: web3"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("name: web2"), std::string::npos) << r.out;
}

TEST_F(CliTest, BadInputIsExitTwoAndChangesNothing) {
  std::string typo = WriteFile("typo.yaml", "name: web4\nmemroy: 512\n");
  CliResult r = Xenia({"create", typo});
  EXPECT_EXIT_CODE(r, 2);
  EXPECT_NE(r.err.find("memroy"), std::string::npos) << r.err;
  r = Xenia({"create", "--name", "web4", "--memory", "-5"});
  EXPECT_EXIT_CODE(r, 2);
  r = Xenia({"create", "--name", "bad name", "--memory", "64M"});
  EXPECT_EXIT_CODE(r, 2);
  EXPECT_NE(r.err.find("spec.name"), std::string::npos) << r.err;
  r = Xenia({"frobnicate"});
  EXPECT_EXIT_CODE(r, 2);
  EXPECT_TRUE(ListAllDomains().empty());
}

TEST_F(CliTest, ExitCodesSayWhatWentWrong) {
  CliResult r = Xenia({"info", "nope"});
  EXPECT_EXIT_CODE(r, 3);
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;

  r = Xenia({"create", "--name", "run1", "--memory", "64M", "--start", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"start", "run1"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_NE(r.err.find("running"), std::string::npos) << r.err;
  r = Xenia({"delete", "run1"});
  EXPECT_EXIT_CODE(r, 4);
  r = Xenia({"create", "--name", "run1", "--memory", "64M"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;

  // More memory than the 16 GiB simulated host has free.
  r = Xenia({"create", "--name", "huge", "--memory", "64G", "--start", "--wait"});
  EXPECT_EXIT_CODE(r, 6);
  EXPECT_NE(r.err.find("MiB are free"), std::string::npos) << r.err;

  // A guest that ignores the request, without --force: the wait times out.
  r = Xenia({"sim", "behave", "run1", "--ignore-shutdown"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"shutdown", "run1", "--timeout", "300ms", "--wait"});
  EXPECT_EXIT_CODE(r, 8);
  EXPECT_EQ(GetOrDie("run1").status().power_state(), xenia::v1::RUNNING);
  r = Xenia({"shutdown", "run1", "--timeout", "300ms", "--force", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(GetOrDie("run1").status().power_state(), xenia::v1::SHUTOFF);

  CliResult away = RunCli(dir_.path() + "/nobody.sock", {"list"});
  EXPECT_EXIT_CODE(away, 5);
  EXPECT_NE(away.err.find("cannot reach xeniad"), std::string::npos) << away.err;
}

TEST_F(CliTest, ARepeatedRequestIdGivesTheSameOperation) {
  CliResult first = Xenia(
      {"-o", "json", "create", "--name", "once", "--memory", "64M", "--request-id", "ci-job-42"});
  EXPECT_EXIT_CODE(first, 0);
  CliResult again = Xenia(
      {"-o", "json", "create", "--name", "once", "--memory", "64M", "--request-id", "ci-job-42"});
  EXPECT_EXIT_CODE(again, 0);
  auto name_of = [](const std::string& json) {
    size_t at = json.find("\"name\": \"hosts/");
    return at == std::string::npos ? std::string() : json.substr(at, json.find('\n', at) - at);
  };
  EXPECT_FALSE(name_of(first.out).empty()) << first.out;
  EXPECT_EQ(name_of(first.out), name_of(again.out));
  EXPECT_EQ(ListAllDomains().size(), 1u);
}

TEST_F(CliTest, HostAndOperations) {
  CliResult r = Xenia({"host"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("sim"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("16 GiB"), std::string::npos) << r.out;
  r = Xenia({"create", "--name", "opsy", "--memory", "64M", "--start", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  r = Xenia({"ops", "list", "--domain", "opsy"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("CreateDomain"), std::string::npos) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "done") || absl::StrContains(r.out, "DONE")) << r.out;
}

}  // namespace
}  // namespace xenia::testing
