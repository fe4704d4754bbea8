#include "cli/output/cells.h"
#include "cli/output/json_yaml.h"
#include "cli/output/render_domain.h"
#include "cli/output/render_host.h"
#include "cli/output/render_operation.h"
#include "cli/output/table.h"
#include "common/spec_text/json_yaml.h"
#include "gtest/gtest.h"
#include "tests/unit/cli/fake_xeniad.h"

namespace xenia::cli {
namespace {

using spec_text::JsonToYaml;
using spec_text::MessageToJson;
using spec_text::MessageToYaml;
using testing::MakeDomain;
using testing::MakeOperation;
using xenia::v1::Operation;

TEST(TableTest, AlignsColumnsTwoSpacesApart) {
  Table t({{"NAME"}, {"N", Align::kRight}, {"LAST"}});
  t.AddRow({"a", "1", "x"});
  t.AddRow({"longer", "100"});
  EXPECT_EQ(t.Render(),
            "NAME      N  LAST\n"
            "a         1  x\n"
            "longer  100\n");
}

TEST(TableTest, CountsUtf8Characters) {
  Table t({{"A"}, {"B"}});
  t.AddRow({"é", "x"});
  EXPECT_EQ(t.Render(), "A  B\né  x\n");
}

TEST(TableTest, KeyValues) {
  EXPECT_EQ(RenderKeyValues({{"name", "web1"}, {"max memory", "1 GiB"}}),
            "name:       web1\n"
            "max memory: 1 GiB\n");
}

TEST(RenderDomainTest, ListLikeXl) {
  xenia::v1::ListDomainsResponse list;
  *list.add_domains() = MakeDomain("web1", xenia::v1::RUNNING, 3, 512, 2, 12.34);
  *list.add_domains() = MakeDomain("db", xenia::v1::SHUTOFF, 0, 2048, 4, 0);
  *list.add_domains() = MakeDomain("batch", xenia::v1::SHUTTING_DOWN, 0, 1024, 1, 0);
  EXPECT_EQ(RenderDomainTable(list),
            "NAME   ID  STATE          MEM(MiB)  VCPUS  TIME(s)\n"
            "web1    3  running             512      2     12.3\n"
            "db      -  shutoff            2048      4      0.0\n"
            "batch   -  shutting-down      1024      1      0.0\n");
}

TEST(RenderDomainTest, UnmanagedDomainsGetANote) {
  xenia::v1::ListDomainsResponse list;
  *list.add_domains() = MakeDomain("Domain-0", xenia::v1::RUNNING, 0, 1024, 2, 5);
  list.mutable_domains(0)->mutable_status()->set_managed(false);
  *list.add_domains() = MakeDomain("web1", xenia::v1::RUNNING, 3, 512, 2, 1);
  list.mutable_domains(1)->mutable_status()->set_managed(true);
  EXPECT_EQ(RenderDomainTable(list),
            "NAME      ID  STATE    MEM(MiB)  VCPUS  TIME(s)  NOTE\n"
            "Domain-0   0  running      1024      2      5.0  unmanaged\n"
            "web1       3  running       512      2      1.0\n");
}

TEST(RenderDomainTest, EmptyListIsJustTheHeader) {
  EXPECT_EQ(RenderDomainTable({}), "NAME  ID  STATE  MEM(MiB)  VCPUS  TIME(s)\n");
}

TEST(RenderDomainTest, Info) {
  xenia::v1::Domain d = MakeDomain("web1", xenia::v1::RUNNING, 3, 512, 2, 1.5);
  d.mutable_spec()->set_uuid("5d1b0c3e-0000-4000-8000-000000000001");
  d.mutable_spec()->set_type(xenia::v1::PVH);
  d.mutable_spec()->set_max_memory_mib(1024);
  d.mutable_create_time()->set_seconds(1714564800);
  d.mutable_status()->set_last_shutdown_reason(xenia::v1::DomainStatus::POWEROFF);
  d.mutable_status()->set_current_operation("hosts/h1/operations/op1");
  const std::string info = RenderDomainInfo(d);
  for (const char* line :
       {"name:                 web1\n", "resource:             hosts/-/domains/web1\n",
        "uuid:                 5d1b0c3e-0000-4000-8000-000000000001\n",
        "type:                 pvh\n", "state:                running\n",
        "domid:                3\n", "memory:               512 MiB\n",
        "max memory:           1 GiB\n", "vcpus:                2\n",
        "cpu time:             1.5s\n", "created:              2024-05-01T12:00:00Z\n",
        "started:              -\n", "last shutdown reason: poweroff\n",
        "message:              -\n", "current operation:    hosts/h1/operations/op1\n"}) {
    EXPECT_NE(info.find(line), std::string::npos) << line << "\nin:\n" << info;
  }
}

TEST(RenderHostTest, KeyValues) {
  xenia::v1::Host h;
  h.set_name("hosts/h1");
  h.set_backend("sim");
  h.set_total_memory_mib(16384);
  h.set_free_memory_mib(1536);
  h.set_cpus(8);
  const std::string info = RenderHostInfo(h);
  EXPECT_NE(info.find("name:              hosts/h1\n"), std::string::npos) << info;
  EXPECT_NE(info.find("backend:           sim\n"), std::string::npos) << info;
  EXPECT_NE(info.find("total memory:      16 GiB\n"), std::string::npos) << info;
  EXPECT_NE(info.find("free memory:       1.5 GiB\n"), std::string::npos) << info;
  EXPECT_NE(info.find("hostname:          -\n"), std::string::npos) << info;
}

TEST(RenderOperationTest, Table) {
  xenia::v1::ListOperationsResponse list;
  Operation op = MakeOperation(Operation::RUNNING, 40, "waiting");
  op.set_method("ShutdownDomain");
  op.set_target("hosts/h1/domains/web1");
  *list.add_operations() = op;
  EXPECT_EQ(RenderOperationTable(list),
            "ID   METHOD          TARGET                 STATE    PROGRESS  CREATED\n"
            "op1  ShutdownDomain  hosts/h1/domains/web1  running       40%  "
            "2024-05-01T12:00:00Z\n");
}

TEST(RenderOperationTest, Lines) {
  Operation op = MakeOperation(Operation::PENDING, 0);
  op.set_method("StartDomain");
  op.set_target("hosts/h1/domains/web1");
  EXPECT_EQ(AcceptedLine("web1", op),
            "web1: StartDomain accepted (operation hosts/h1/operations/op1)");
  op.set_state(Operation::DONE);
  EXPECT_EQ(OutcomeLine("web1", op), "web1: started");
  op.set_method("ShutdownDomain");
  EXPECT_EQ(OutcomeLine("web1", op), "web1: shut down");
  op.set_method("CreateDomain");
  EXPECT_EQ(OutcomeLine("web1", op), "web1: created");
  op.mutable_domain()->mutable_status()->set_power_state(xenia::v1::RUNNING);
  EXPECT_EQ(OutcomeLine("web1", op), "web1: created and started");
  op.set_state(Operation::FAILED);
  op.mutable_error()->set_code(9);
  op.mutable_error()->set_message("not enough memory");
  EXPECT_EQ(FailureLine(op),
            "xenia: CreateDomain on hosts/h1/domains/web1 failed: not enough memory");
  op.set_state(Operation::CANCELLED);
  EXPECT_EQ(FailureLine(op),
            "xenia: CreateDomain on hosts/h1/domains/web1 was cancelled: not enough memory");
}

TEST(JsonYamlTest, JsonIsTheProto3Mapping) {
  xenia::v1::Domain d = MakeDomain("web1", xenia::v1::RUNNING, 3, 512, 2, 0);
  d.mutable_status()->clear_cpu_time();
  absl::StatusOr<std::string> json = MessageToJson(d);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json,
            "{\n"
            " \"name\": \"hosts/-/domains/web1\",\n"
            " \"spec\": {\n"
            "  \"name\": \"web1\",\n"
            "  \"memoryMib\": 512,\n"
            "  \"vcpus\": 2\n"
            " },\n"
            " \"status\": {\n"
            "  \"powerState\": \"RUNNING\",\n"
            "  \"domid\": 3,\n"
            "  \"managed\": true,\n"
            "  \"currentMemoryMib\": 512,\n"
            "  \"onlineVcpus\": 2\n"
            " }\n"
            "}\n");
}

TEST(JsonYamlTest, YamlKeepsOrderAndStringsStayStrings) {
  xenia::v1::Domain d = MakeDomain("web1", xenia::v1::RUNNING, 3, 512, 2, 0);
  d.mutable_status()->clear_cpu_time();
  d.mutable_spec()->set_cmdline("true");
  (*d.mutable_spec()->mutable_labels())["tier"] = "web";
  d.mutable_spec()->add_bootloader_args("-q");
  d.mutable_spec()->add_bootloader_args("");
  absl::StatusOr<std::string> yaml = MessageToYaml(d);
  ASSERT_TRUE(yaml.ok());
  EXPECT_EQ(*yaml,
            "name: hosts/-/domains/web1\n"
            "spec:\n"
            "  name: web1\n"
            "  memoryMib: 512\n"
            "  vcpus: 2\n"
            "  cmdline: \"true\"\n"
            "  bootloaderArgs:\n"
            "    - -q\n"
            "    - \"\"\n"
            "  labels:\n"
            "    tier: web\n"
            "status:\n"
            "  powerState: RUNNING\n"
            "  domid: 3\n"
            "  managed: true\n"
            "  currentMemoryMib: 512\n"
            "  onlineVcpus: 2\n");
}

TEST(JsonYamlTest, EmptyMessageAndList) {
  EXPECT_EQ(*MessageToJson(xenia::v1::ListDomainsResponse()), "{}\n");
  EXPECT_EQ(*MessageToYaml(xenia::v1::ListDomainsResponse()), "{}\n");
}

TEST(JsonYamlTest, JsonToYamlQuotesWhatWouldChangeType) {
  EXPECT_EQ(*JsonToYaml(R"({"a": "yes", "b": "1.5", "c": "~", "d": 7, "e": true, "f": null,
                          "g": "a: b", "h": "line\nbreak", "i": "é"})"),
            "a: \"yes\"\n"
            "b: \"1.5\"\n"
            "c: \"~\"\n"
            "d: 7\n"
            "e: true\n"
            "f: ~\n"
            "g: \"a: b\"\n"
            "h: \"line\\nbreak\"\n"
            "i: é\n");
}

TEST(CellsTest, Formatters) {
  EXPECT_EQ(FormatTimestamp({}), "-");
  google::protobuf::Timestamp ts;
  ts.set_seconds(1714564800);
  ts.set_nanos(999);
  EXPECT_EQ(FormatTimestamp(ts), "2024-05-01T12:00:00Z");
  EXPECT_EQ(OrDash(""), "-");
  EXPECT_EQ(OrDash("x"), "x");
}

}  // namespace
}  // namespace xenia::cli
