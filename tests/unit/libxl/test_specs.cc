#include "tests/unit/libxl/test_specs.h"

namespace xenia::hv::testing {

using xenia::v1::DomainSpec;

DomainSpec PvSpec() {
  DomainSpec s;
  s.set_name("web1");
  s.set_uuid("5f3c2a9e-8d41-4b6a-9c1e-2f7a6b0d4e13");
  s.set_type(xenia::v1::PV);
  s.set_memory_mib(1024);
  s.set_max_memory_mib(2048);
  s.set_vcpus(2);
  s.set_max_vcpus(4);
  s.set_cpus("0-3");
  s.set_bootloader("pygrub");
  s.add_bootloader_args("-q");
  xenia::v1::Disk* disk = s.add_disks();
  disk->set_target("/dev/vg0/web1-root");
  disk->set_vdev("xvda");
  disk->set_access(xenia::v1::READ_WRITE);
  disk->set_backend_type(xenia::v1::PHY);
  xenia::v1::NetworkInterface* nic = s.add_network_interfaces();
  nic->set_mac("00:16:3e:5a:01:02");
  nic->set_bridge("xenbr0");
  nic->set_vifname("web1-eth0");
  nic->set_rate("10MB/s");
  s.set_on_poweroff(xenia::v1::DESTROY);
  s.set_on_reboot(xenia::v1::RESTART);
  s.set_on_crash(xenia::v1::PRESERVE);
  s.set_on_watchdog(xenia::v1::DESTROY);
  return s;
}

DomainSpec PvhSpec() {
  DomainSpec s;
  s.set_name("ci-runner-7");
  s.set_uuid("0b8e7d6c-5a4f-4e3d-8c2b-1a0f9e8d7c6b");
  s.set_type(xenia::v1::PVH);
  s.set_memory_mib(2048);
  s.set_vcpus(2);
  s.set_kernel("/var/lib/xen/boot/vmlinuz-6.1.0-18-amd64");
  s.set_ramdisk("/var/lib/xen/boot/initrd.img-6.1.0-18-amd64");
  s.set_cmdline("root=/dev/xvda1 ro console=hvc0");
  s.set_tsc_mode("native");
  xenia::v1::Disk* disk = s.add_disks();
  disk->set_target("/var/lib/xen/images/ci-runner-7.qcow2");
  disk->set_vdev("xvda");
  disk->set_format(xenia::v1::QCOW2);
  disk->set_backend_type(xenia::v1::QDISK);
  disk->set_discard(true);
  xenia::v1::NetworkInterface* nic = s.add_network_interfaces();
  nic->set_mac("00:16:3e:07:00:01");
  nic->set_bridge("xenbr0");
  s.set_on_reboot(xenia::v1::RESTART);
  return s;
}

DomainSpec HvmSpec() {
  DomainSpec s;
  s.set_name("win-build");
  s.set_uuid("c4a1e2f3-9b8d-4c7e-a6f5-0d1e2f3a4b5c");
  s.set_type(xenia::v1::HVM);
  s.set_memory_mib(4096);
  s.set_vcpus(4);
  s.set_tsc_mode("native");
  xenia::v1::Disk* disk = s.add_disks();
  disk->set_target("/var/lib/xen/images/win-build.img");
  disk->set_vdev("hda");
  disk->set_format(xenia::v1::RAW);
  disk->set_backend_type(xenia::v1::QDISK);
  xenia::v1::Disk* cdrom = s.add_disks();
  cdrom->set_target("/srv/iso/virtio-win.iso");
  cdrom->set_vdev("hdc");
  cdrom->set_cdrom(true);
  xenia::v1::NetworkInterface* nic = s.add_network_interfaces();
  nic->set_mac("00:16:3e:4b:00:10");
  nic->set_bridge("xenbr0");
  nic->set_model("e1000");
  nic->set_type("ioemu");
  xenia::v1::PciDevice* pci = s.add_pci_devices();
  pci->set_bdf("0000:03:00.0");
  pci->set_permissive(true);
  pci->set_rdm_policy("relaxed");
  (*s.mutable_extra())["serial"] = "\"pty\"";
  (*s.mutable_extra())["vnc"] = "0";
  (*s.mutable_extra())["boot"] = "\"dc\"";
  s.set_on_crash(xenia::v1::RESTART);
  return s;
}

DomainSpec FullSpec() {
  DomainSpec s;
  s.set_name("everything");
  s.set_uuid("11111111-2222-4333-8444-555555555555");
  s.set_type(xenia::v1::HVM);
  s.set_memory_mib(1536);
  s.set_max_memory_mib(3072);
  s.set_vcpus(3);
  s.set_max_vcpus(8);
  s.set_cpus("0-3,6,8-9");
  s.set_kernel("/boot/vmlinuz");
  s.set_ramdisk("/boot/initrd.img");
  s.set_cmdline("console=ttyS0 quiet");
  s.set_bootloader("/usr/bin/pygrub");
  s.add_bootloader_args("--entry=1");
  s.add_bootloader_args("-q");
  s.set_tsc_mode("always_emulate");
  s.set_driver_domain(true);
  s.set_on_poweroff(xenia::v1::PRESERVE);
  s.set_on_reboot(xenia::v1::RENAME_RESTART);
  s.set_on_crash(xenia::v1::COREDUMP_RESTART);
  s.set_on_watchdog(xenia::v1::COREDUMP_DESTROY);

  xenia::v1::Disk* disk = s.add_disks();
  disk->set_target("/dev/vg0/everything");
  disk->set_vdev("xvda");
  disk->set_access(xenia::v1::READ_ONLY);
  disk->set_format(xenia::v1::VHD);
  disk->set_backend_type(xenia::v1::TAP);
  disk->set_backend_domain("storage-dd");
  disk->set_script("block-iscsi");
  disk->set_direct_io_safe(true);
  disk->set_discard(true);
  xenia::v1::Disk* empty = s.add_disks();
  empty->set_vdev("hdc");
  empty->set_cdrom(true);
  empty->set_access(xenia::v1::READ_ONLY);
  empty->set_format(xenia::v1::EMPTY);
  empty->set_backend_type(xenia::v1::STANDALONE);

  xenia::v1::NetworkInterface* nic = s.add_network_interfaces();
  nic->set_mac("00:16:3e:aa:bb:cc");
  nic->set_bridge("xenbr1");
  nic->set_ip("192.0.2.10");
  nic->set_model("rtl8139");
  nic->set_rate("1500B/s@10ms");
  nic->set_script("vif-route");
  nic->set_vifname("every-eth0");
  nic->set_backend_domain("net-dd");
  nic->set_type("vif");
  nic->set_mtu(9000);

  xenia::v1::PciDevice* pci = s.add_pci_devices();
  pci->set_bdf("0001:0a:1f.7");
  pci->set_vdevfn("@05");
  pci->set_permissive(true);
  pci->set_msitranslate(true);
  pci->set_seize(true);
  pci->set_power_mgmt(true);
  pci->set_rdm_policy("strict");
  xenia::v1::PciDevice* pci2 = s.add_pci_devices();
  pci2->set_bdf("0000:00:02.0");
  pci2->set_vdevfn("06.3");

  xenia::v1::Vtpm* vtpm = s.add_vtpms();
  vtpm->set_backend_domain("vtpmmgr");
  vtpm->set_uuid("99999999-8888-4777-a666-555555555555");

  auto& extra = *s.mutable_extra();
  extra["hap"] = "1";
  extra["localtime"] = "0";
  extra["acpi"] = "1";
  extra["apic"] = "1";
  extra["pae"] = "1";
  extra["vnc"] = "0";
  extra["sdl"] = "0";
  extra["nographic"] = "1";
  extra["serial"] = "\"pty\"";
  extra["boot"] = "\"cd\"";
  extra["vnclisten"] = "\"127.0.0.1\"";
  return s;
}

}  // namespace xenia::hv::testing
