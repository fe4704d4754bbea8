// The pure part of the libxl backend's device methods: what libxl lists,
// as DeviceFacts; how a request names a device; the host's PCI devices.
#include "daemon/hypervisor/libxl/device_state.h"

#include <string>
#include <vector>

#include "daemon/hypervisor/libxl/domain_config.h"
#include "daemon/hypervisor/libxl/libxl_alloc.h"
#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

// A disk as libxl_device_disk_list gives it: no format (xenstore does not
// record one).
class ListedDisk {
 public:
  ListedDisk(absl::string_view vdev, absl::string_view target) {
    libxl_device_disk_init(&disk_);
    disk_.vdev = Dup(vdev);
    disk_.pdev_path = Dup(target);
    disk_.readwrite = 1;
    disk_.format = LIBXL_DISK_FORMAT_UNKNOWN;
    disk_.backend = LIBXL_DISK_BACKEND_PHY;
  }
  ~ListedDisk() { libxl_device_disk_dispose(&disk_); }
  const libxl_device_disk& get() const { return disk_; }

 private:
  libxl_device_disk disk_;
};

class ListedNic {
 public:
  ListedNic(int devid, std::vector<uint8_t> mac) {
    libxl_device_nic_init(&nic_);
    nic_.devid = devid;
    for (size_t i = 0; i < 6; ++i) nic_.mac[i] = mac[i];
    nic_.bridge = Dup("xenbr0");
    nic_.nictype = LIBXL_NIC_TYPE_VIF;
  }
  ~ListedNic() { libxl_device_nic_dispose(&nic_); }
  libxl_device_nic& get() { return nic_; }

 private:
  libxl_device_nic nic_;
};

libxl_device_pci Pci(int domain, int bus, int dev, int func) {
  libxl_device_pci pci;
  libxl_device_pci_init(&pci);
  pci.domain = domain;
  pci.bus = static_cast<uint8_t>(bus);
  pci.dev = static_cast<uint8_t>(dev);
  pci.func = static_cast<uint8_t>(func);
  return pci;
}

TEST(XenbusStateFromInt, NamesTheStatesAndNothingElse) {
  EXPECT_EQ(XenbusStateFromInt(-1), XenbusState::kUnknown);  // libxl: no node
  EXPECT_EQ(XenbusStateFromInt(0), XenbusState::kUnknown);
  EXPECT_EQ(XenbusStateFromInt(1), XenbusState::kInitialising);
  EXPECT_EQ(XenbusStateFromInt(4), XenbusState::kConnected);
  EXPECT_EQ(XenbusStateFromInt(5), XenbusState::kClosing);
  EXPECT_EQ(XenbusStateFromInt(8), XenbusState::kReconfigured);
  EXPECT_EQ(XenbusStateFromInt(9), XenbusState::kUnknown);
}

TEST(Addresses, MacAndPciInLowerCase) {
  libxl_mac mac = {0x00, 0x16, 0x3E, 0x0A, 0xBC, 0xFF};
  EXPECT_EQ(MacToString(mac), "00:16:3e:0a:bc:ff");
  libxl_device_pci pci = Pci(0, 0x3a, 0x1f, 7);
  EXPECT_EQ(PciAddressOf(pci), "0000:3a:1f.7");
  pci.vfunc_mask = LIBXL_PCI_FUNC_ALL;
  EXPECT_EQ(PciAddressOf(pci), "0000:3a:1f.*");
  libxl_device_pci_dispose(&pci);
}

TEST(DiskFacts, TheDiskWithItsDevidAndStates) {
  ListedDisk disk("xvdb", "/srv/data.img");
  DeviceFacts facts = DiskFacts(disk.get(), 51728);
  EXPECT_EQ(facts.kind, DeviceKind::kDisk);
  EXPECT_EQ(facts.devid, 51728);
  EXPECT_EQ(facts.disk.vdev(), "xvdb");
  EXPECT_EQ(facts.disk.target(), "/srv/data.img");
  EXPECT_EQ(facts.disk.access(), xenia::v1::READ_WRITE);
  EXPECT_EQ(facts.Id(), "xvdb");
  EXPECT_EQ(facts.backend_state, XenbusState::kUnknown);

  SetStates(XenbusState::kConnected, XenbusState::kConnected, &facts);
  EXPECT_FALSE(facts.closing);
  EXPECT_EQ(DeviceStatusOf(facts).state(), xenia::v1::DeviceStatus::ATTACHED);
  // A detach that timed out: libxl left the backend Closing.
  SetStates(XenbusState::kClosing, XenbusState::kConnected, &facts);
  EXPECT_TRUE(facts.closing);
  EXPECT_EQ(DeviceStatusOf(facts).state(), xenia::v1::DeviceStatus::DETACHING);
  // A guest without a PV block driver never connects.
  SetStates(XenbusState::kInitWait, XenbusState::kInitialising, &facts);
  EXPECT_EQ(DeviceStatusOf(facts).state(), xenia::v1::DeviceStatus::ATTACHING);
}

TEST(NicFacts, TheInterfaceByItsMac) {
  ListedNic nic(2, {0x00, 0x16, 0x3e, 0x01, 0x02, 0xAB});
  DeviceFacts facts = NicFacts(nic.get());
  EXPECT_EQ(facts.kind, DeviceKind::kNic);
  EXPECT_EQ(facts.devid, 2);
  EXPECT_EQ(facts.nic.mac(), "00:16:3e:01:02:ab");
  EXPECT_EQ(facts.nic.bridge(), "xenbr0");
  EXPECT_EQ(facts.nic.type(), "vif");
}

TEST(PciFacts, TheDeviceByItsIndex) {
  libxl_device_pci pci = Pci(0, 3, 0, 1);
  DeviceFacts facts = PciFacts(pci, 1);
  EXPECT_EQ(facts.kind, DeviceKind::kPci);
  EXPECT_EQ(facts.devid, 1);
  EXPECT_EQ(facts.Id(), "0000:03:00.1");
  libxl_device_pci_dispose(&pci);
}

TEST(DeviceMatches, ADiskByVdevOrDevid) {
  ListedDisk disk("xvdb", "/srv/data.img");
  DeviceFacts facts = DiskFacts(disk.get(), 51728);
  EXPECT_TRUE(DeviceMatches(facts, DeviceKind::kDisk, "xvdb"));
  EXPECT_TRUE(DeviceMatches(facts, DeviceKind::kDisk, "51728"));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kDisk, "d0p0"));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kDisk, "xvdc"));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kDisk, ""));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kDisk, "not a vdev"));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kNic, "xvdb"));
  // Without a devid from libxl, the vdev's own.
  facts.devid = -1;
  EXPECT_TRUE(DeviceMatches(facts, DeviceKind::kDisk, "51728"));
}

TEST(DeviceMatches, AnInterfaceByMacInAnyCaseOrDevid) {
  ListedNic nic(3, {0x00, 0x16, 0x3e, 0x01, 0x02, 0xab});
  DeviceFacts facts = NicFacts(nic.get());
  EXPECT_TRUE(DeviceMatches(facts, DeviceKind::kNic, "00:16:3e:01:02:ab"));
  EXPECT_TRUE(DeviceMatches(facts, DeviceKind::kNic, "00:16:3E:01:02:AB"));
  EXPECT_TRUE(DeviceMatches(facts, DeviceKind::kNic, "3"));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kNic, "4"));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kNic, "-3"));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kNic, "00:16:3e:01:02:ac"));
}

TEST(DeviceMatches, APciDeviceByItsAddress) {
  libxl_device_pci pci = Pci(0, 3, 0, 0);
  DeviceFacts facts = PciFacts(pci, 0);
  EXPECT_TRUE(DeviceMatches(facts, DeviceKind::kPci, "0000:03:00.0"));
  EXPECT_TRUE(DeviceMatches(facts, DeviceKind::kPci, "03:00.0"));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kPci, "0000:03:00.1"));
  EXPECT_FALSE(DeviceMatches(facts, DeviceKind::kPci, "0"));
  libxl_device_pci_dispose(&pci);
}

TEST(PciOverlaps, OneFunctionOrAWholeSlot) {
  libxl_device_pci listed = Pci(0, 3, 0, 1);
  libxl_device_pci requested = Pci(0, 3, 0, 1);
  EXPECT_TRUE(PciOverlaps(requested, listed));
  requested.func = 0;
  EXPECT_FALSE(PciOverlaps(requested, listed));
  requested.vfunc_mask = LIBXL_PCI_FUNC_ALL;
  EXPECT_TRUE(PciOverlaps(requested, listed));
  requested.dev = 1;
  EXPECT_FALSE(PciOverlaps(requested, listed));
  libxl_device_pci_dispose(&listed);
  libxl_device_pci_dispose(&requested);
}

TEST(SortDevices, DisksThenInterfacesThenPciEachByDevid) {
  std::vector<DeviceFacts> devices(5);
  devices[0].kind = DeviceKind::kPci;
  devices[0].devid = 0;
  devices[1].kind = DeviceKind::kNic;
  devices[1].devid = 1;
  devices[2].kind = DeviceKind::kDisk;
  devices[2].devid = 51728;
  devices[3].kind = DeviceKind::kNic;
  devices[3].devid = 0;
  devices[4].kind = DeviceKind::kDisk;
  devices[4].devid = 51712;
  SortDevices(&devices);
  std::vector<std::pair<DeviceKind, int32_t>> order;
  for (const DeviceFacts& d : devices) order.emplace_back(d.kind, d.devid);
  EXPECT_EQ(order, (std::vector<std::pair<DeviceKind, int32_t>>{{DeviceKind::kDisk, 51712},
                                                                {DeviceKind::kDisk, 51728},
                                                                {DeviceKind::kNic, 0},
                                                                {DeviceKind::kNic, 1},
                                                                {DeviceKind::kPci, 0}}));
}

TEST(CompleteFromStored, TakesWhatXenstoreLacks) {
  ScopedDomainConfig stored;
  libxl_domain_config* cfg = stored.get();
  cfg->num_disks = 1;
  cfg->disks = CallocArray<libxl_device_disk>(1);
  libxl_device_disk_init(&cfg->disks[0]);
  cfg->disks[0].vdev = Dup("xvdb");
  cfg->disks[0].pdev_path = Dup("/srv/data.qcow2");
  cfg->disks[0].format = LIBXL_DISK_FORMAT_QCOW2;
  cfg->disks[0].direct_io_safe = true;
  cfg->disks[0].script = Dup("block-custom");
  cfg->num_nics = 2;
  cfg->nics = CallocArray<libxl_device_nic>(2);
  for (int i = 0; i < 2; ++i) {
    libxl_device_nic_init(&cfg->nics[i]);
    cfg->nics[i].devid = i;
    cfg->nics[i].mac[0] = 0x00;
    cfg->nics[i].mac[1] = 0x16;
    cfg->nics[i].mac[2] = 0x3e;
    cfg->nics[i].mac[5] = static_cast<uint8_t>(i + 1);
    cfg->nics[i].model = Dup("e1000");
    cfg->nics[i].ifname = Dup("vif-web");
    cfg->nics[i].rate_bytes_per_interval = 500'000;
    cfg->nics[i].rate_interval_usecs = 50'000;
  }

  ListedDisk disk("xvdb", "/srv/data.qcow2");
  DeviceFacts d = DiskFacts(disk.get(), 51728);
  EXPECT_EQ(d.disk.format(), xenia::v1::DISK_FORMAT_UNSPECIFIED);
  CompleteFromStored(*stored, &d);
  EXPECT_EQ(d.disk.format(), xenia::v1::QCOW2);
  EXPECT_TRUE(d.disk.direct_io_safe());
  EXPECT_EQ(d.disk.script(), "block-custom");
  EXPECT_EQ(d.disk.target(), "/srv/data.qcow2");

  ListedDisk other("xvdc", "/srv/other.img");
  DeviceFacts o = DiskFacts(other.get(), 51744);
  CompleteFromStored(*stored, &o);
  EXPECT_EQ(o.disk.format(), xenia::v1::DISK_FORMAT_UNSPECIFIED);

  ListedNic nic(1, {0x00, 0x16, 0x3e, 0x00, 0x00, 0x02});
  DeviceFacts n = NicFacts(nic.get());
  CompleteFromStored(*stored, &n);
  EXPECT_EQ(n.nic.model(), "e1000");
  EXPECT_EQ(n.nic.vifname(), "vif-web");
  EXPECT_EQ(n.nic.rate(), "10MB/s");

  // devid 0 in the stored config is another interface (another MAC).
  ListedNic reused(0, {0x00, 0x16, 0x3e, 0x00, 0x00, 0x09});
  DeviceFacts r = NicFacts(reused.get());
  CompleteFromStored(*stored, &r);
  EXPECT_EQ(r.nic.model(), "");
}

TEST(MergeAssignablePci, OneEntryPerDeviceInOrder) {
  std::vector<AssignablePci> merged = MergeAssignablePci(
      {"0000:0a:00.0", "03:00.1", "0000:03:00.0"}, {{"0000:05:00.0", 7}, {"0000:0a:00.0", 3}});
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0].bdf, "0000:03:00.0");
  EXPECT_FALSE(merged[0].domid.has_value());
  EXPECT_EQ(merged[1].bdf, "0000:03:00.1");
  EXPECT_EQ(merged[2].bdf, "0000:05:00.0");
  EXPECT_EQ(merged[2].domid, 7u);
  EXPECT_EQ(merged[3].bdf, "0000:0a:00.0");
  EXPECT_EQ(merged[3].domid, 3u);
  EXPECT_TRUE(MergeAssignablePci({}, {}).empty());
}

}  // namespace
}  // namespace xenia::hv
