// Bad domain specs are answered with the right code and a message that names
// the offending field, and change nothing: the daemon's real SQLite file has
// the same rows before and after.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "google/protobuf/unknown_field_set.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using grpc::StatusCode;
using xenia::v1::CreateDomainRequest;
using xenia::v1::Operation;

class BadSpecTest : public DaemonFixture {
 protected:
  static CreateDomainRequest Request(const xenia::v1::DomainSpec& spec, bool start = true) {
    CreateDomainRequest req;
    *req.mutable_spec() = spec;
    req.set_start(start);
    return req;
  }

  // Sends `req`, expects it refused with `code` and a message containing
  // every one of `parts`, and checks that the store did not change.
  void ExpectRefused(const CreateDomainRequest& req, StatusCode code,
                     const std::vector<std::string>& parts) {
    int64_t domains = CountRows("domains");
    int64_t operations = CountRows("operations");
    int64_t events = CountRows("events");
    size_t listed = ListAllDomains().size();
    Operation op;
    grpc::Status s = daemon_->domains().CreateDomain(Context().get(), req, &op);
    EXPECT_TRUE(IsError(s, code, parts)) << req.ShortDebugString();
    EXPECT_EQ(CountRows("domains"), domains) << req.ShortDebugString();
    EXPECT_EQ(CountRows("operations"), operations) << req.ShortDebugString();
    EXPECT_EQ(CountRows("events"), events) << req.ShortDebugString();
    EXPECT_EQ(ListAllDomains().size(), listed) << req.ShortDebugString();
  }
};

TEST_F(BadSpecTest, NegativeMemory) {
  ExpectRefused(Request(Spec("neg", -5)), StatusCode::INVALID_ARGUMENT, {"spec.memory_mib", "-5"});
}

TEST_F(BadSpecTest, ZeroMemory) {
  ExpectRefused(Request(Spec("zero", 0)), StatusCode::INVALID_ARGUMENT,
                {"spec.memory_mib", "required"});
}

TEST_F(BadSpecTest, MemoryBeyondAnyHost) {
  // One MiB more than the 16 TiB Xen can give a guest.
  ExpectRefused(Request(Spec("vast", (int64_t{16} << 20) + 1)), StatusCode::INVALID_ARGUMENT,
                {"spec.memory_mib", "at most"});
}

TEST_F(BadSpecTest, EmptyName) {
  ExpectRefused(Request(Spec("", 256)), StatusCode::INVALID_ARGUMENT, {"spec.name", "required"});
}

TEST_F(BadSpecTest, NamesXenCannotTake) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"web 1", "' '"},
      {"web/1", "'/'"},
      {"a;b", "';'"},
      {"caf\xc3\xa9", "contains"},
      {"-lead", "must start with a letter or digit"},
      {".hidden", "must start with a letter or digit"},
      {"12345", "all digits"},
      {std::string(64, 'a'), "at most 63 characters, got 64"},
      {"Domain-0", "dom0"},
  };
  for (const auto& [name, why] : cases) {
    ExpectRefused(Request(Spec(name, 256)), StatusCode::INVALID_ARGUMENT, {"spec.name", why});
  }
  // The longest legal name is accepted.
  CreateOrDie(std::string(63, 'a'), 256, false);
}

TEST_F(BadSpecTest, MaxMemoryBelowMemory) {
  xenia::v1::DomainSpec spec = Spec("maxlow", 512);
  spec.set_max_memory_mib(256);
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT,
                {"spec.max_memory_mib", "256 MiB is below memory_mib (512 MiB)"});
  spec.set_max_memory_mib(-1);
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT, {"spec.max_memory_mib", "-1"});
}

TEST_F(BadSpecTest, BadVcpus) {
  xenia::v1::DomainSpec spec = Spec("cpus", 256);
  spec.set_vcpus(-2);
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT, {"spec.vcpus", "-2"});
  spec.set_vcpus(4);
  spec.set_max_vcpus(2);
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT,
                {"spec.max_vcpus", "2 is below vcpus (4)"});
}

TEST_F(BadSpecTest, BadUuidAndType) {
  xenia::v1::DomainSpec spec = Spec("ids", 256);
  spec.set_uuid("not-a-uuid");
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT, {"spec.uuid", "\"not-a-uuid\""});
  spec.set_uuid("00000000-0000-0000-0000-000000000000");
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT, {"spec.uuid", "dom0"});
  spec.clear_uuid();
  spec.set_type(static_cast<xenia::v1::DomainType>(42));
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT, {"spec.type", "42"});
}

TEST_F(BadSpecTest, BadDevicesNameTheirIndex) {
  xenia::v1::DomainSpec spec = Spec("devs", 256);
  xenia::v1::Disk* disk = spec.add_disks();
  disk->set_vdev("xvda");
  disk->set_target("/images/a.img");
  xenia::v1::Disk* twin = spec.add_disks();
  twin->set_vdev("xvda");
  twin->set_target("/images/b.img");
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT, {"spec.disks[1].vdev", "\"xvda\""});
  spec.clear_disks();
  spec.add_network_interfaces()->set_mac("00:16:3e:zz:00:01");
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT,
                {"spec.network_interfaces[0].mac", "00:16:3e:zz:00:01"});
  spec.clear_network_interfaces();
  spec.add_pci_devices()->set_bdf("0000:03:00.9");
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT,
                {"spec.pci_devices[0].bdf", "0000:03:00.9"});
}

TEST_F(BadSpecTest, ADiskWhoseTargetDom0LacksIsRefused) {
  const std::string image = dir_.path() + "/images/web.img";
  xenia::v1::DomainSpec spec = Spec("disks", 256);
  xenia::v1::Disk* disk = spec.add_disks();
  disk->set_vdev("xvda");
  disk->set_target(image);
  xenia::v1::Disk* dir = spec.add_disks();
  dir->set_vdev("xvdb");
  dir->set_target(dir_.path());
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT,
                {"spec.disks[0].target", image, "does not exist in dom0", "spec.disks[1].target",
                 "neither a file nor a block device"});

  // What dom0 need not hold: an empty CD-ROM drive, a target a hotplug
  // script interprets, a disk a driver domain serves.
  spec.clear_disks();
  xenia::v1::Disk* cd = spec.add_disks();
  cd->set_vdev("hdc");
  cd->set_cdrom(true);
  xenia::v1::Disk* iscsi = spec.add_disks();
  iscsi->set_vdev("xvdb");
  iscsi->set_target("iqn.2001-05.com.example:web");
  iscsi->set_script("block-iscsi");
  xenia::v1::Disk* remote = spec.add_disks();
  remote->set_vdev("xvdc");
  remote->set_target("/dev/vg0/web");
  remote->set_backend_domain("storage-dd");
  xenia::v1::Domain made = CreateSpecOrDie(spec, /*start=*/false);
  EXPECT_EQ(made.spec().disks_size(), 3);
}

TEST_F(BadSpecTest, ADiskThatVanishedAfterTheDefinitionFailsTheStart) {
  const std::string image = dir_.path() + "/web.img";
  std::ofstream(image) << "disk";
  xenia::v1::DomainSpec spec = Spec("vanish", 256);
  xenia::v1::Disk* disk = spec.add_disks();
  disk->set_vdev("xvda");
  disk->set_target(image);
  CreateSpecOrDie(spec, /*start=*/false);
  ASSERT_EQ(std::remove(image.c_str()), 0);
  Operation op;
  ASSERT_TRUE(Start("vanish", &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::FAILED, grpc::StatusCode::FAILED_PRECONDITION,
                        {"disks[0].target", image, "does not exist"}));
  EXPECT_EQ(GetOrDie("vanish").status().power_state(), xenia::v1::SHUTOFF);
  EXPECT_TRUE(SimulatedDomains().empty());
}

TEST_F(BadSpecTest, EveryProblemIsNamedAtOnce) {
  xenia::v1::DomainSpec spec = Spec("bad name", -1);
  spec.set_vcpus(-3);
  ExpectRefused(Request(spec), StatusCode::INVALID_ARGUMENT,
                {"spec.name", "spec.memory_mib", "spec.vcpus"});
}

TEST_F(BadSpecTest, MissingSpec) {
  CreateDomainRequest req;
  req.set_start(true);
  ExpectRefused(req, StatusCode::INVALID_ARGUMENT, {"spec: required"});
}

TEST_F(BadSpecTest, UnknownFieldInTheSpec) {
  CreateDomainRequest req = Request(Spec("unk", 256));
  req.mutable_spec()->GetReflection()->MutableUnknownFields(req.mutable_spec())->AddVarint(999, 1);
  ExpectRefused(req, StatusCode::INVALID_ARGUMENT,
                {"spec", "xenia.v1.DomainSpec", "unknown field number 999"});
}

TEST_F(BadSpecTest, UnknownFieldInTheRequestOrADevice) {
  CreateDomainRequest req = Request(Spec("unk", 256));
  req.GetReflection()->MutableUnknownFields(&req)->AddVarint(998, 1);
  ExpectRefused(req, StatusCode::INVALID_ARGUMENT,
                {"xenia.v1.CreateDomainRequest", "unknown field number 998"});

  CreateDomainRequest nested = Request(Spec("unk", 256));
  xenia::v1::Disk* disk = nested.mutable_spec()->add_disks();
  disk->set_vdev("xvda");
  disk->set_target("/images/a.img");
  disk->GetReflection()->MutableUnknownFields(disk)->AddLengthDelimited(77, "future");
  ExpectRefused(nested, StatusCode::INVALID_ARGUMENT,
                {"spec.disks[0]", "xenia.v1.Disk", "unknown field number 77"});
}

TEST_F(BadSpecTest, UnknownFieldInAVerbRequest) {
  CreateOrDie("verb", 256, false);
  xenia::v1::StartDomainRequest req;
  req.set_name(DomainName("verb"));
  req.GetReflection()->MutableUnknownFields(&req)->AddVarint(50, 1);
  int64_t operations = CountRows("operations");
  Operation op;
  EXPECT_TRUE(IsError(daemon_->domains().StartDomain(Context().get(), req, &op),
                      StatusCode::INVALID_ARGUMENT,
                      {"xenia.v1.StartDomainRequest", "unknown field number 50"}));
  EXPECT_EQ(CountRows("operations"), operations);
  EXPECT_EQ(GetOrDie("verb").status().power_state(), xenia::v1::SHUTOFF);
}

TEST_F(BadSpecTest, DuplicateNameIsAlreadyExists) {
  xenia::v1::Domain first = CreateOrDie("dup", 256);
  // Whatever else differs, the name is taken.
  ExpectRefused(Request(Spec("dup", 512)), StatusCode::ALREADY_EXISTS,
                {"\"dup\"", "already exists"});
  ExpectRefused(Request(Spec("dup", 256), /*start=*/false), StatusCode::ALREADY_EXISTS,
                {"\"dup\""});
  xenia::v1::Domain still = GetOrDie("dup");
  EXPECT_EQ(still.spec().memory_mib(), 256);
  EXPECT_EQ(still.spec().uuid(), first.spec().uuid());
  EXPECT_EQ(still.status().domid(), first.status().domid());
}

TEST_F(BadSpecTest, DuplicateUuidIsAlreadyExists) {
  xenia::v1::Domain first = CreateOrDie("one", 256, false);
  xenia::v1::DomainSpec spec = Spec("two", 256);
  spec.set_uuid(first.spec().uuid());
  ExpectRefused(Request(spec), StatusCode::ALREADY_EXISTS, {first.spec().uuid()});
}

TEST_F(BadSpecTest, ValidateOnlyChecksAndChangesNothing) {
  CreateOrDie("taken", 256, false);
  CreateDomainRequest bad = Request(Spec("new", -1));
  bad.set_validate_only(true);
  ExpectRefused(bad, StatusCode::INVALID_ARGUMENT, {"spec.memory_mib"});
  CreateDomainRequest dup = Request(Spec("taken", 256));
  dup.set_validate_only(true);
  ExpectRefused(dup, StatusCode::ALREADY_EXISTS, {"\"taken\""});

  CreateDomainRequest good = Request(Spec("new", 256));
  good.set_validate_only(true);
  int64_t domains = CountRows("domains");
  int64_t operations = CountRows("operations");
  Operation op;
  ASSERT_TRUE(daemon_->domains().CreateDomain(Context().get(), good, &op).ok());
  EXPECT_TRUE(op.done());
  EXPECT_EQ(op.domain().spec().name(), "new");
  EXPECT_EQ(op.domain().spec().max_memory_mib(), 256);  // defaults filled in
  EXPECT_EQ(CountRows("domains"), domains);
  EXPECT_EQ(CountRows("operations"), operations);
  xenia::v1::Domain none;
  EXPECT_EQ(Get("new", &none).error_code(), StatusCode::NOT_FOUND);
}

TEST_F(BadSpecTest, BadParent) {
  CreateDomainRequest other = Request(Spec("p1", 256));
  other.set_parent("hosts/elsewhere");
  ExpectRefused(other, StatusCode::NOT_FOUND, {"parent", "\"elsewhere\""});
  CreateDomainRequest malformed = Request(Spec("p1", 256));
  malformed.set_parent("elsewhere");
  ExpectRefused(malformed, StatusCode::INVALID_ARGUMENT, {"parent", "hosts/{host}"});
  CreateDomainRequest mine = Request(Spec("p1", 256), false);
  mine.set_parent("hosts/testhost");
  Operation op;
  EXPECT_TRUE(daemon_->domains().CreateDomain(Context().get(), mine, &op).ok());
}

TEST_F(BadSpecTest, BadRequestId) {
  CreateDomainRequest req = Request(Spec("rid", 256));
  req.set_request_id(std::string(129, 'r'));
  ExpectRefused(req, StatusCode::INVALID_ARGUMENT, {"request_id", "128"});
  req.set_request_id("has space");
  ExpectRefused(req, StatusCode::INVALID_ARGUMENT, {"request_id"});
}

}  // namespace
}  // namespace xenia::testing
