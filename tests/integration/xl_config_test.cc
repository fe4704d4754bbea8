// xl.cfg through the real daemon and the real CLI: `xenia create vm.cfg`
// defines the guest the file describes, `xenia config NAME` writes it back
// (xl.cfg, YAML, JSON), and the daemon reads each export back to the spec it
// stores. Bad files are refused with the file, line or key named, and
// nothing is defined.
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using google::protobuf::util::MessageDifferencer;
using xenia::v1::ConfigFormat;
using xenia::v1::DomainSpec;

class XlConfigTest : public DaemonFixture {
 protected:
  // DomainService.ParseDomainConfig.
  grpc::Status Parse(ConfigFormat format, const std::string& text,
                     xenia::v1::ParseDomainConfigResponse* out, const std::string& source = "") {
    xenia::v1::ParseDomainConfigRequest request;
    request.set_format(format);
    request.set_text(text);
    request.set_source(source);
    return daemon_->domains().ParseDomainConfig(Context().get(), request, out);
  }
  grpc::Status Export(const std::string& name, ConfigFormat format, std::string* text) {
    xenia::v1::ExportDomainConfigRequest request;
    request.set_name(DomainName(name));
    request.set_format(format);
    xenia::v1::DomainConfigText out;
    grpc::Status s = daemon_->domains().ExportDomainConfig(Context().get(), request, &out);
    *text = out.text();
    return s;
  }
  // Each of `xenia config NAME --format F` for xl, yaml and json, read back
  // by the daemon, gives the spec it stores.
  void ExpectEveryExportReadsBackEqual(const std::string& name) {
    const DomainSpec stored = GetOrDie(name).spec();
    for (auto [flag, format] : {std::pair{"xl", xenia::v1::XL}, std::pair{"yaml", xenia::v1::YAML},
                                std::pair{"json", xenia::v1::JSON}}) {
      CliResult r = Xenia({"config", name, "--format", flag});
      EXPECT_EXIT_CODE(r, 0);
      xenia::v1::ParseDomainConfigResponse back;
      grpc::Status s = Parse(format, r.out, &back, absl::StrCat(name, ".", flag));
      ASSERT_TRUE(s.ok()) << flag << ": " << s.error_message() << "\n" << r.out;
      std::string diff;
      MessageDifferencer differ;
      differ.ReportDifferencesToString(&diff);
      EXPECT_TRUE(differ.Compare(stored, back.spec())) << flag << ":\n" << diff << r.out;
    }
  }
};

TEST_F(XlConfigTest, AnHvmGuestFromItsXlCfgRunsAndWritesBackEqual) {
  const std::string disk = WriteFile("win-ci.qcow2", "");
  const std::string iso = WriteFile("installer.iso", "");
  const std::string cfg = WriteFile("win-ci.cfg", absl::StrCat(R"(# An HVM guest with qemu disks
type = "hvm"
name = "win-ci"
memory = 1024
maxmem = 2048
vcpus = 2
maxvcpus = 4
cpus = "0-1"
disk = [ "format=qcow2, vdev=hda, access=rw, backendtype=qdisk, target=)",
                                                               disk, R"(",
         "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=)",
                                                               iso, R"(" ]
vif = [ "model=e1000,bridge=xenbr0,mac=00:16:3e:aa:bb:cc,type=ioemu,rate=10Mb/s" ]
boot = "dc"
vnc = 1
on_reboot = "restart"
on_crash = "preserve"
)"));
  CliResult r = Xenia({"create", cfg, "--start", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.out.find("win-ci: created and started"), std::string::npos) << r.out;
  // The keys the spec does not model are kept and named, not dropped.
  EXPECT_NE(r.err.find("boot"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("vnc"), std::string::npos) << r.err;

  xenia::v1::Domain d = GetOrDie("win-ci");
  EXPECT_EQ(d.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(d.spec().type(), xenia::v1::HVM);
  EXPECT_EQ(d.spec().memory_mib(), 1024);
  EXPECT_EQ(d.spec().max_memory_mib(), 2048);
  EXPECT_EQ(d.spec().max_vcpus(), 4);
  ASSERT_EQ(d.spec().disks_size(), 2);
  EXPECT_EQ(d.spec().disks(0).target(), disk);
  EXPECT_EQ(d.spec().disks(0).format(), xenia::v1::QCOW2);
  EXPECT_EQ(d.spec().disks(0).backend_type(), xenia::v1::QDISK);
  EXPECT_TRUE(d.spec().disks(1).cdrom());
  EXPECT_EQ(d.spec().disks(1).access(), xenia::v1::READ_ONLY);
  ASSERT_EQ(d.spec().network_interfaces_size(), 1);
  EXPECT_EQ(d.spec().network_interfaces(0).bridge(), "xenbr0");
  EXPECT_EQ(d.spec().network_interfaces(0).model(), "e1000");
  EXPECT_EQ(d.spec().on_crash(), xenia::v1::PRESERVE);
  EXPECT_EQ(d.spec().extra().at("vnc"), "1");
  EXPECT_EQ(d.spec().extra().at("boot"), "\"dc\"");

  ExpectEveryExportReadsBackEqual("win-ci");
}

TEST_F(XlConfigTest, APvGuestFromStdinAndTheExportDefinesItsTwin) {
  // No extension: the first setting line says xl.cfg.
  CliResult r = Xenia({"create", "-", "--wait"}, R"(# a PV guest booted by pygrub
name = "db1"
memory = 512
bootloader = "pygrub"
vif = [ "bridge=xenbr0" ]
)");
  EXPECT_EXIT_CODE(r, 0);
  DomainSpec db1 = GetOrDie("db1").spec();
  EXPECT_EQ(db1.type(), xenia::v1::PV);  // as xl: no type is PV
  EXPECT_EQ(db1.bootloader(), "pygrub");
  EXPECT_NE(r.err.find("PV"), std::string::npos) << r.err;
  ExpectEveryExportReadsBackEqual("db1");

  // The export, renamed and without its uuid, defines a second guest.
  std::string text;
  ASSERT_TRUE(Export("db1", xenia::v1::XL, &text).ok());
  const std::string db1_name = "name = \"db1\"";
  ASSERT_NE(text.find(db1_name), std::string::npos) << text;
  text.replace(text.find(db1_name), db1_name.size(), "name = \"db2\"");
  const size_t uuid = text.find("uuid = ");
  ASSERT_NE(uuid, std::string::npos) << text;
  text.erase(uuid, text.find('\n', uuid) - uuid + 1);
  r = Xenia({"create", WriteFile("db2.xl", text), "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  DomainSpec db2 = GetOrDie("db2").spec();
  EXPECT_NE(db2.uuid(), db1.uuid());
  db2.set_name("db1");
  db2.set_uuid(db1.uuid());
  db2.mutable_network_interfaces(0)->set_mac(db1.network_interfaces(0).mac());
  EXPECT_TRUE(MessageDifferencer::Equals(db1, db2)) << db1.DebugString() << db2.DebugString();
}

TEST_F(XlConfigTest, BadFilesNameWhatIsWrongAndDefineNothing) {
  struct Case {
    std::string text;
    std::vector<std::string> in_error;
  };
  const std::vector<Case> cases = {
      // libxlutil's own syntax error, with the file and line.
      {"name = \"x1\"\nmemory = = 5\n", {"bad.cfg:2"}},
      {"name = \"x1\"\nmemory = \"lots\"\n", {"bad.cfg", "memory"}},
      {"name = \"x1\"\ntype = \"hvmm\"\n", {"bad.cfg", "type", "hvmm"}},
      // Checked as CreateDomain would: memory above maxmem.
      {"name = \"x1\"\nmemory = 1024\nmaxmem = 512\n", {"bad.cfg", "memory"}},
      {"name = \"x1\"\nvcpus = 4\nmaxvcpus = 2\n", {"bad.cfg", "vcpus"}},
      {"name = \"x1\"\nvif = [ \"mac=00:16:3e:zz:00:01\" ]\n", {"bad.cfg", "mac"}},
      {"name = \"x1\"\ndisk = [ \"/a.img,raw,xvda,rw\", \"/b.img,raw,xvda,rw\" ]\n",
       {"bad.cfg", "xvda"}},
  };
  for (const Case& c : cases) {
    CliResult r = Xenia({"create", WriteFile("bad.cfg", c.text)});
    EXPECT_EXIT_CODE(r, 2);
    for (const std::string& part : c.in_error) {
      EXPECT_NE(r.err.find(part), std::string::npos) << c.text << "\nstderr: " << r.err;
    }
  }
  EXPECT_TRUE(ListAllDomains().empty());
  EXPECT_EQ(CountRows("domains"), 0);
}

TEST_F(XlConfigTest, TheRpcsRefuseWhatTheyCannotDo) {
  xenia::v1::ParseDomainConfigResponse parsed;
  EXPECT_TRUE(IsError(Parse(xenia::v1::CONFIG_FORMAT_UNSPECIFIED, "name = \"a\"\n", &parsed),
                      grpc::StatusCode::INVALID_ARGUMENT, {"format"}));
  EXPECT_TRUE(IsError(Parse(xenia::v1::XL, std::string(2 << 20, '#'), &parsed),
                      grpc::StatusCode::INVALID_ARGUMENT, {"text", "bytes"}));
  EXPECT_TRUE(IsError(Parse(xenia::v1::YAML, "name: a\nmemroy: 5\n", &parsed, "a.yaml"),
                      grpc::StatusCode::INVALID_ARGUMENT, {"a.yaml", "memroy"}));
  ASSERT_TRUE(Parse(xenia::v1::JSON, R"({"name": "a", "memoryMib": 64})", &parsed).ok());
  EXPECT_EQ(parsed.spec().memory_mib(), 64);

  std::string text;
  EXPECT_TRUE(IsError(Export("nope", xenia::v1::XL, &text), grpc::StatusCode::NOT_FOUND, {"nope"}));
  // Domain-0 is not xeniad's to describe.
  EXPECT_TRUE(IsError(Export("Domain-0", xenia::v1::XL, &text),
                      grpc::StatusCode::FAILED_PRECONDITION, {"control domain"}));

  CliResult r = Xenia({"config", "nope", "--format", "toml"});
  EXPECT_EXIT_CODE(r, 2);
  EXPECT_NE(r.err.find("--format"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace xenia::testing
