#include "daemon/config/daemon_config.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "daemon/config/command_line.h"
#include "gtest/gtest.h"

namespace xenia {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path) << text;
  return path;
}

TEST(DaemonConfig, ReadsEveryKind) {
  std::string path = WriteFile("ok.yaml", R"(
state_dir: /tmp/x
socket: /tmp/x.sock
workers: 3
status_refresh_interval: 500ms
sim:
  memory: 8G
  cpus: 4
  boot_time: 0s
  cpu_load: 0.25
)");
  absl::StatusOr<DaemonConfig> c = LoadConfigFile(path, DaemonConfig{});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state_dir, "/tmp/x");
  EXPECT_EQ(c->workers, 3);
  EXPECT_EQ(c->status_refresh_interval, absl::Milliseconds(500));
  EXPECT_EQ(c->sim.total_memory_mib, 8192);
  EXPECT_EQ(c->sim.cpus, 4);
  EXPECT_EQ(c->sim.boot_time, absl::ZeroDuration());
  EXPECT_DOUBLE_EQ(c->sim.cpu_load, 0.25);
  EXPECT_EQ(c->backend, "auto");  // untouched keys keep their defaults
}

TEST(DaemonConfig, UnknownKeysAndBadValuesNameTheFileAndKey) {
  absl::StatusOr<DaemonConfig> c = LoadConfigFile(WriteFile("a.yaml", "statedir: /x\n"), {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("a.yaml: unknown key \"statedir\""), std::string::npos);
  c = LoadConfigFile(WriteFile("b.yaml", "sim:\n  memory: lots\n"), {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("sim.memory: \"lots\""), std::string::npos);
  c = LoadConfigFile(WriteFile("c.yaml", "workers: [1, 2]\n"), {});
  ASSERT_FALSE(c.ok());
  c = LoadConfigFile(WriteFile("d.yaml", "key: [unclosed\n"), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(LoadConfigFile("/nonexistent/xeniad.yaml", {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DaemonConfig, ValidateCatchesImpossibleCombinations) {
  DaemonConfig c;
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.backend = "kvm";
  EXPECT_NE(ValidateConfig(c).message().find("backend"), std::string::npos);
  c = DaemonConfig{};
  c.sim.dom0_memory_mib = c.sim.total_memory_mib;
  EXPECT_NE(ValidateConfig(c).message().find("sim.dom0_memory"), std::string::npos);
}

TEST(CommandLine, FlagsOverrideTheFile) {
  std::string path = WriteFile("f.yaml", "state_dir: /from/file\nsocket: /from/file.sock\n");
  std::vector<std::string> args = {"xeniad",      "--config",   path,
                                   "--state-dir", "/from/flag", "--sim-memory",
                                   "4G",          "--backend",  "sim"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  CommandLine cmd = ParseCommandLine(static_cast<int>(argv.size()), argv.data());
  ASSERT_FALSE(cmd.exit_now) << cmd.message;
  EXPECT_EQ(cmd.config.state_dir, "/from/flag");
  EXPECT_EQ(cmd.config.socket, "/from/file.sock");
  EXPECT_EQ(cmd.config.sim.total_memory_mib, 4096);
  EXPECT_EQ(cmd.config.backend, "sim");
}

TEST(CommandLine, BadFlagsExitWithUsageError) {
  std::vector<std::string> args = {"xeniad", "--sim-memory", "huge"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  CommandLine cmd = ParseCommandLine(static_cast<int>(argv.size()), argv.data());
  EXPECT_TRUE(cmd.exit_now);
  EXPECT_EQ(cmd.exit_code, 2);
  EXPECT_NE(cmd.message.find("--sim-memory"), std::string::npos);
}

}  // namespace
}  // namespace xenia

namespace xenia {
namespace {

// The example file documents every key with its default: reading it must
// give exactly the defaults, and every key the loader knows must be in it.
TEST(DaemonConfig, TheExampleFileShowsEveryKeyWithItsDefault) {
  absl::StatusOr<DaemonConfig> example = LoadConfigFile(XENIA_EXAMPLE_CONFIG, DaemonConfig{});
  ASSERT_TRUE(example.ok()) << example.status();
  DaemonConfig defaults;
  EXPECT_EQ(example->state_dir, defaults.state_dir);
  EXPECT_EQ(example->socket, defaults.socket);
  EXPECT_EQ(example->socket_group, defaults.socket_group);
  EXPECT_EQ(example->listen, defaults.listen);
  EXPECT_EQ(example->backend, defaults.backend);
  EXPECT_EQ(example->log_level, defaults.log_level);
  EXPECT_EQ(example->host_id, defaults.host_id);
  EXPECT_EQ(example->workers, defaults.workers);
  EXPECT_EQ(example->max_queue_per_domain, defaults.max_queue_per_domain);
  EXPECT_EQ(example->status_refresh_interval, defaults.status_refresh_interval);
  EXPECT_EQ(example->shutdown_grace, defaults.shutdown_grace);
  EXPECT_EQ(example->event_retention, defaults.event_retention);
  EXPECT_EQ(example->event_watcher_buffer, defaults.event_watcher_buffer);
  EXPECT_EQ(example->sim.state_file, defaults.sim.state_file);
  EXPECT_EQ(example->sim.total_memory_mib, defaults.sim.total_memory_mib);
  EXPECT_EQ(example->sim.cpus, defaults.sim.cpus);
  EXPECT_EQ(example->sim.dom0_memory_mib, defaults.sim.dom0_memory_mib);
  EXPECT_EQ(example->sim.max_domains, defaults.sim.max_domains);
  EXPECT_EQ(example->sim.create_time, defaults.sim.create_time);
  EXPECT_EQ(example->sim.boot_time, defaults.sim.boot_time);
  EXPECT_EQ(example->sim.shutdown_time, defaults.sim.shutdown_time);
  EXPECT_DOUBLE_EQ(example->sim.cpu_load, defaults.sim.cpu_load);

  std::ifstream in(XENIA_EXAMPLE_CONFIG);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string& key : KnownConfigKeys()) {
    std::string leaf = key.substr(key.rfind('.') + 1);
    EXPECT_NE(text.find(leaf + ":"), std::string::npos) << key << " is not in the example file";
  }
}

}  // namespace
}  // namespace xenia
