// Devices on running guests through the real CLI and daemon: disks,
// network interfaces and PCI devices hot-plugged in xl's own syntax, listed
// with the states of their two ends, detached when the guest releases them
// (and, when it will not, a timeout that says so and a forced removal),
// recorded in the store and in events, kept across a killed daemon, and
// written into the definition with --persistent. A detach waits 1s for the
// guest here (libxl waits 10s).
#include <cctype>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/daemon_fixture.h"
#include "xenia/v1/event.grpc.pb.h"

namespace xenia::testing {
namespace {

using xenia::v1::DeviceStatus;

class DevicesTest : public DaemonFixture {
 protected:
  void SetUp() override {
    options_.args = {"--sim-detach-timeout", "1s", "--sim-pci", "0000:03:00.0,0000:03:00.1"};
    DaemonFixture::SetUp();
    image_ = WriteFile("data.img", std::string(4096, '\0'));
  }

  std::vector<DeviceStatus> Devices(const std::string& name,
                                    DeviceStatus::Kind kind = DeviceStatus::KIND_UNSPECIFIED) {
    xenia::v1::ListDomainDevicesRequest request;
    request.set_name(DomainName(name));
    request.set_kind(kind);
    xenia::v1::ListDomainDevicesResponse response;
    grpc::Status s = daemon_->domains().ListDomainDevices(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {response.devices().begin(), response.devices().end()};
  }
  // The device `id` of the domain as the hypervisor lists it, once it is in
  // `state`; false if it does not get there.
  bool ReachesState(const std::string& name, const std::string& id, DeviceStatus::State state) {
    return WaitUntil([&] {
      for (const DeviceStatus& d : Devices(name)) {
        if (d.id() == id && d.state() == state) return true;
      }
      return false;
    });
  }
  std::string DiskSpec(const std::string& vdev) {
    return absl::StrCat("format=raw,vdev=", vdev, ",access=rw,target=", image_);
  }
  // The events of `type` so far, as "message" lines.
  std::vector<std::string> EventMessages(xenia::v1::Event::Type type) {
    xenia::v1::ListEventsRequest request;
    request.set_page_size(1000);
    xenia::v1::ListEventsResponse response;
    auto events = xenia::v1::EventService::NewStub(daemon_->channel());
    EXPECT_TRUE(events->ListEvents(Context().get(), request, &response).ok());
    std::vector<std::string> out;
    for (const xenia::v1::Event& e : response.events()) {
      if (e.type() == type) out.push_back(e.message());
    }
    return out;
  }

  std::string image_;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(DevicesTest, ADiskIsAttachedListedAndDetachedWithTheGuestsConsent) {
  CreateOrDie("web");
  CliResult r = Xenia({"block-attach", "web", DiskSpec("xvdb"), "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(Contains(r.out, "web: disk attached")) << r.out;
  // The guest's frontend connects in its own time.
  ASSERT_TRUE(ReachesState("web", "xvdb", DeviceStatus::ATTACHED));
  std::vector<DeviceStatus> disks = Devices("web", DeviceStatus::DISK);
  ASSERT_EQ(disks.size(), 1u);
  EXPECT_EQ(disks[0].devid(), 51728);  // (202 << 8) | (1 << 4): Xen's number for xvdb.
  EXPECT_EQ(disks[0].backend_state(), "Connected");
  EXPECT_EQ(disks[0].frontend_state(), "Connected");
  EXPECT_EQ(disks[0].disk().target(), image_);
  EXPECT_EQ(disks[0].disk().format(), xenia::v1::RAW);

  r = Xenia({"block-list", "web"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(Contains(r.out, "VDEV  DEVID  STATE     BACKEND    FRONTEND   TARGET")) << r.out;
  EXPECT_TRUE(
      Contains(r.out, absl::StrCat("xvdb  51728  attached  Connected  Connected  ", image_)))
      << r.out;
  // The store has the device too, and an event said so.
  xenia::v1::Domain d = GetOrDie("web");
  ASSERT_EQ(d.status().devices_size(), 1);
  EXPECT_EQ(d.status().devices(0).id(), "xvdb");
  EXPECT_EQ(d.spec().disks_size(), 0) << "not persistent: the definition is unchanged";
  std::vector<std::string> attached = EventMessages(xenia::v1::Event::DEVICE_ATTACHED);
  ASSERT_EQ(attached.size(), 1u);
  EXPECT_EQ(attached[0], "disk xvdb attached to domain web (devid 51728)");

  r = Xenia({"block-detach", "web", "xvdb", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(Devices("web").empty());
  EXPECT_EQ(GetOrDie("web").status().devices_size(), 0);
  std::vector<std::string> detached = EventMessages(xenia::v1::Event::DEVICE_DETACHED);
  ASSERT_EQ(detached.size(), 1u);
  EXPECT_EQ(detached[0], "disk xvdb detached from domain web");

  // Detaching what is not there names what is.
  r = Xenia({"block-detach", "web", "xvdc", "--wait"});
  EXPECT_EXIT_CODE(r, 3);
  EXPECT_TRUE(Contains(r.err, "domain \"web\" has no disk xvdc attached (it has no disk)"))
      << r.err;
}

TEST_F(DevicesTest, ADetachTheGuestRefusesTimesOutAndForceRemovesIt) {
  CreateOrDie("db");
  EXPECT_EXIT_CODE(Xenia({"block-attach", "db", DiskSpec("xvdb"), "--wait"}), 0);
  ASSERT_TRUE(ReachesState("db", "xvdb", DeviceStatus::ATTACHED));
  EXPECT_EXIT_CODE(Xenia({"sim", "behave", "db", "--refuse-detach"}), 0);

  CliResult r = Xenia({"block-detach", "db", "xvdb", "--wait"});
  EXPECT_EXIT_CODE(r, 8);  // DEADLINE_EXCEEDED
  EXPECT_TRUE(Contains(r.err, "did not release its disk xvdb within 1s")) << r.err;
  EXPECT_TRUE(Contains(r.err, "detach it with force")) << r.err;
  // It stays, closing, in the hypervisor and in the store.
  std::vector<DeviceStatus> disks = Devices("db");
  ASSERT_EQ(disks.size(), 1u);
  EXPECT_EQ(disks[0].state(), DeviceStatus::DETACHING);
  EXPECT_EQ(disks[0].backend_state(), "Closing");
  EXPECT_EQ(disks[0].frontend_state(), "Connected");
  xenia::v1::Domain d = GetOrDie("db");
  ASSERT_EQ(d.status().devices_size(), 1);
  EXPECT_EQ(d.status().devices(0).state(), DeviceStatus::DETACHING);
  EXPECT_TRUE(EventMessages(xenia::v1::Event::DEVICE_DETACHED).empty());

  r = Xenia({"block-detach", "db", "xvdb", "--force", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(Devices("db").empty());
  std::vector<std::string> detached = EventMessages(xenia::v1::Event::DEVICE_DETACHED);
  ASSERT_EQ(detached.size(), 1u);
  EXPECT_EQ(detached[0], "disk xvdb detached from domain db (forced, without the guest's consent)");
}

TEST_F(DevicesTest, AGuestThatLetsGoLateLeavesTheDeviceClosedForTheNextDetach) {
  CreateOrDie("db");
  EXPECT_EXIT_CODE(Xenia({"network-attach", "db", "bridge=xenbr0", "--wait"}), 0);
  std::vector<DeviceStatus> nics = Devices("db", DeviceStatus::NETWORK_INTERFACE);
  ASSERT_EQ(nics.size(), 1u);
  const std::string mac = nics[0].id();
  EXPECT_EQ(mac.substr(0, 9), "00:16:3e:") << "a generated MAC is in Xen's OUI";
  EXPECT_EQ(nics[0].devid(), 0);
  ASSERT_TRUE(ReachesState("db", mac, DeviceStatus::ATTACHED));

  EXPECT_EXIT_CODE(Xenia({"sim", "behave", "db", "--refuse-detach"}), 0);
  EXPECT_EXIT_CODE(Xenia({"network-detach", "db", "0", "--wait"}), 8);
  EXPECT_EXIT_CODE(Xenia({"sim", "behave", "db", "--refuse-detach=false"}), 0);
  ASSERT_TRUE(ReachesState("db", mac, DeviceStatus::CLOSED));
  // By MAC, in any case, this time.
  std::string upper = mac;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EXIT_CODE(Xenia({"network-detach", "db", upper, "--wait"}), 0);
  EXPECT_TRUE(Devices("db").empty());
}

TEST_F(DevicesTest, DevicesSurviveAKilledDaemon) {
  CreateOrDie("web");
  EXPECT_EXIT_CODE(Xenia({"block-attach", "web", DiskSpec("xvdc"), "--wait"}), 0);
  EXPECT_EXIT_CODE(
      Xenia({"network-attach", "web", "mac=00:16:3e:0a:0b:0c,bridge=xenbr1", "--wait"}), 0);
  ASSERT_TRUE(ReachesState("web", "00:16:3e:0a:0b:0c", DeviceStatus::ATTACHED));
  const std::vector<DeviceStatus> before = Devices("web");
  ASSERT_EQ(before.size(), 2u);

  KillAndRestartDaemon();
  const std::vector<DeviceStatus> after = Devices("web");
  ASSERT_EQ(after.size(), 2u);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].ShortDebugString(), before[i].ShortDebugString());
  }
  // The store kept what the daemon last recorded, and the restart's
  // reconciliation reads the hypervisor again.
  EXPECT_TRUE(WaitUntil([&] { return GetOrDie("web").status().devices_size() == 2; }));
  // And they still detach.
  EXPECT_EXIT_CODE(Xenia({"block-detach", "web", "xvdc", "--wait"}), 0);
  EXPECT_EQ(Devices("web").size(), 1u);
}

TEST_F(DevicesTest, ASaveImageCarriesTheDevicesTheGuestHasNow) {
  CreateOrDie("web");
  EXPECT_EXIT_CODE(Xenia({"block-attach", "web", DiskSpec("xvdb"), "--wait"}), 0);
  EXPECT_EXIT_CODE(
      Xenia({"network-attach", "web", "mac=00:16:3e:0a:0b:0d,bridge=xenbr1", "--wait"}), 0);
  ASSERT_TRUE(ReachesState("web", "xvdb", DeviceStatus::ATTACHED));
  CliResult r = Xenia({"save", "web", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(Devices("web").empty()) << "a saved domain no longer runs";
  r = Xenia({"restore", "web", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  // Restored with the disk and interface it had, not only its definition's.
  std::vector<DeviceStatus> devices = Devices("web");
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].id(), "xvdb");
  EXPECT_EQ(devices[0].disk().target(), image_);
  EXPECT_EQ(devices[1].id(), "00:16:3e:0a:0b:0d");
  EXPECT_EQ(devices[1].network_interface().bridge(), "xenbr1");
}

TEST_F(DevicesTest, PersistentChangesTheDefinitionAndAShutOffDomainOnlyThat) {
  CreateOrDie("web");
  CliResult r = Xenia({"block-attach", "web", DiskSpec("xvdb"), "--persistent", "--wait"});
  EXPECT_EXIT_CODE(r, 0);
  xenia::v1::Domain d = GetOrDie("web");
  ASSERT_EQ(d.spec().disks_size(), 1);
  EXPECT_EQ(d.spec().disks(0).vdev(), "xvdb");

  // The next start builds the domain with it.
  EXPECT_EXIT_CODE(Xenia({"destroy", "web", "--wait"}), 0);
  EXPECT_TRUE(GetOrDie("web").status().devices().empty());
  r = Xenia({"block-attach", "web", DiskSpec("xvdc"), "--wait"});
  EXPECT_EXIT_CODE(r, 4);  // FAILED_PRECONDITION
  EXPECT_TRUE(Contains(r.err, "with --persistent, shut off")) << r.err;
  EXPECT_EXIT_CODE(Xenia({"block-attach", "web", DiskSpec("xvdc"), "--persistent", "--wait"}), 0);
  EXPECT_EXIT_CODE(Xenia({"block-detach", "web", "xvdb", "--persistent", "--wait"}), 0);
  d = GetOrDie("web");
  ASSERT_EQ(d.spec().disks_size(), 1);
  EXPECT_EQ(d.spec().disks(0).vdev(), "xvdc");
  EXPECT_EXIT_CODE(Xenia({"start", "web", "--wait"}), 0);
  std::vector<DeviceStatus> disks = Devices("web");
  ASSERT_EQ(disks.size(), 1u);
  EXPECT_EQ(disks[0].id(), "xvdc");
  EXPECT_EQ(GetOrDie("web").status().devices_size(), 1);

  // A persistent attach of what the definition has is refused.
  r = Xenia({"block-attach", "web", DiskSpec("xvdc"), "--persistent", "--wait"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_TRUE(Contains(r.err, "already has disk xvdc")) << r.err;
}

TEST_F(DevicesTest, WhatTheGuestCannotTakeIsRefusedAndNothingChanges) {
  CreateOrDie("web");  // PVH
  xenia::v1::DomainSpec hvm = Spec("win", 512);
  hvm.set_type(xenia::v1::HVM);
  CreateSpecOrDie(hvm);
  EXPECT_EXIT_CODE(Xenia({"block-attach", "web", DiskSpec("xvdb"), "--wait"}), 0);

  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  } cases[] = {
      {{"block-attach", "web", DiskSpec("xvdb")}, 4, "already has a disk at xvdb"},
      {{"block-attach", "web", DiskSpec("51728")}, 4, "already has a disk at 51728 (xvdb)"},
      {{"block-attach", "web", "vdev=xvdd,target=/nonexistent/disk.img"},
       2,
       "disk.target: /nonexistent/disk.img does not exist in dom0"},
      {{"block-attach", "web", "vdev=xvd!,target=/tmp"}, 2, "disk.vdev: vdev \"xvd!\" is not"},
      {{"block-attach", "web", absl::StrCat("format=floppy,vdev=xvdd,target=", image_)},
       2,
       "disk spec \"format=floppy"},
      {{"block-attach", "web", absl::StrCat("vdev=xvdq7x,target=", image_)},
       2,
       "is not a virtual disk name"},
      {{"block-attach", "web", "vdev=hdc,devtype=cdrom"},
       4,
       "a CD-ROM drive cannot be hot-plugged"},
      {{"block-attach", "win", absl::StrCat("vdev=hdb,target=", image_)},
       4,
       "an emulated disk cannot be hot-plugged into HVM"},
      {{"network-attach", "web", "mac=00:16:3e:zz:00:01"}, 2, "is not a MAC address"},
      {{"network-attach", "win", "type=ioemu,model=e1000"}, 4, "emulated (ioemu)"},
      {{"pci-attach", "web", "0000:03:00.0"}, 4, "cannot pass PCI devices through to PVH"},
      {{"pci-attach", "web", "03:00.9"}, 2, "pci spec"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.push_back("--wait");
    CliResult r = Xenia(args);
    EXPECT_EQ(r.exit_code, c.code) << args[0] << " " << args[2] << "\n" << r.err;
    EXPECT_TRUE(Contains(r.err, c.says)) << args[0] << " " << args[2] << "\n" << r.err;
  }
  EXPECT_EQ(Devices("web").size(), 1u);
  EXPECT_TRUE(Devices("win").empty());
  EXPECT_EQ(GetOrDie("web").spec().disks_size(), 0);
}

TEST_F(DevicesTest, PciDevicesComeFromTheHostsPoolOneDomainAtATime) {
  xenia::v1::DomainSpec pv = Spec("router", 256);
  pv.set_type(xenia::v1::PV);
  CreateSpecOrDie(pv);
  xenia::v1::DomainSpec other = Spec("other", 256);
  other.set_type(xenia::v1::HVM);
  CreateSpecOrDie(other);

  CliResult r = Xenia({"pci-assignable-list"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(Contains(r.out, "0000:03:00.0  -")) << r.out;
  EXPECT_TRUE(Contains(r.out, "0000:03:00.1  -")) << r.out;

  EXPECT_EXIT_CODE(Xenia({"pci-attach", "router", "03:00.0,permissive=1", "--wait"}), 0);
  ASSERT_TRUE(ReachesState("router", "0000:03:00.0", DeviceStatus::ATTACHED));
  std::vector<DeviceStatus> pci = Devices("router", DeviceStatus::PCI);
  ASSERT_EQ(pci.size(), 1u);
  EXPECT_TRUE(pci[0].pci_device().permissive());

  xenia::v1::ListAssignablePciDevicesRequest request;
  xenia::v1::ListAssignablePciDevicesResponse pool;
  ASSERT_TRUE(daemon_->hosts().ListAssignablePciDevices(Context().get(), request, &pool).ok());
  ASSERT_EQ(pool.devices_size(), 2);
  EXPECT_EQ(pool.devices(0).bdf(), "0000:03:00.0");
  EXPECT_TRUE(absl::EndsWith(pool.devices(0).domain(), "/domains/router"))
      << pool.devices(0).domain();
  EXPECT_EQ(pool.devices(0).domid(), GetOrDie("router").status().domid());
  EXPECT_TRUE(pool.devices(1).domain().empty());
  EXPECT_FALSE(pool.devices(1).has_domid());

  r = Xenia({"pci-attach", "other", "0000:03:00.0", "--wait"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_TRUE(Contains(r.err, "is already passed through to")) << r.err;
  EXPECT_TRUE(Contains(r.err, "\"router\"")) << r.err;
  r = Xenia({"pci-attach", "other", "0000:07:00.0", "--wait"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_TRUE(Contains(r.err, "is not assignable")) << r.err;
  // A definition that names a device another domain holds does not start.
  xenia::v1::DomainSpec twin = Spec("twin", 256);
  twin.set_type(xenia::v1::PV);
  twin.add_pci_devices()->set_bdf("0000:03:00.0");
  CreateSpecOrDie(twin, /*start=*/false);
  r = Xenia({"start", "twin", "--wait"});
  EXPECT_EXIT_CODE(r, 4);
  EXPECT_TRUE(Contains(r.err, "already passed through to")) << r.err;

  // Given back, it can go elsewhere.
  EXPECT_EXIT_CODE(Xenia({"pci-detach", "router", "0000:03:00.0", "--wait"}), 0);
  EXPECT_EXIT_CODE(Xenia({"start", "twin", "--wait"}), 0);
  r = Xenia({"pci-list", "twin"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(Contains(r.out, "0000:03:00.0")) << r.out;
}

}  // namespace
}  // namespace xenia::testing
