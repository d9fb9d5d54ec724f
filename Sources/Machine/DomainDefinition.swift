import ToolSupport

/// A disk attached after the boot disk.
public struct AttachedDisk: Sendable, Equatable {
    public var path: String
    /// `raw` or `qcow2`.
    public var format: String
    public var readOnly: Bool

    public init(path: String, format: String, readOnly: Bool) {
        self.path = path
        self.format = format
        self.readOnly = readOnly
    }

    /// A raw image the guest may only read (an update disk).
    public static func readOnly(_ path: String) -> AttachedDisk {
        AttachedDisk(path: path, format: "raw", readOnly: true)
    }

    /// The libvirt `<disk>` element for it as `vd<letter>`.
    func xml(letter: Character) -> String {
        "<disk type='file' device='disk'><driver name='qemu' type='\(format.xmlEscaped)'/><source file='\(path.xmlEscaped)'/>"
            + "<target dev='vd\(letter)' bus='virtio'/>\(readOnly ? "<readonly/>" : "")</disk>"
    }
}

/// The libvirt XML of a test machine: one virtio disk (the overlay), the serial console into a
/// file (appended to across power cycles), and a virtio-serial channel for the QEMU guest
/// agent. No network (content reaches the guest on disks), except for the SSH channel: a
/// user-mode NIC whose only way in is a host forward from 127.0.0.1 to the guest's port 22.
struct DomainDefinition {
    var name: String
    /// Set for a machine restored from a save: the save's (libvirt restores it under no other).
    var uuid: String?
    let accelerator: Accelerator
    let memoryMiB: Int
    let vcpus: Int
    var disk: String
    /// The boot disk's logical (and physical) sector size.
    var diskSectorSize = 512
    /// The boot disk's format: the overlay's qcow2, or an installation target's own.
    var diskFormat = "qcow2"
    /// Zero writes become holes (an installer writing a whole disk into a sparse file).
    var detectZeroes = false
    /// What boots instead of the disk: an installer CD, or a kernel and initramfs as PXE
    /// loads them.
    var bootMedia: BootMedia?
    var console: String
    /// The guest agent's socket: given explicitly, since the path libvirt would derive from the
    /// state directory easily passes the 108-byte limit of a UNIX socket path.
    var agentSocket: String
    /// With UEFI: where this boot's copy of OVMF's variable store goes (fresh each boot, so
    /// OVMF takes the removable-media path and nothing needs registering).
    let nvram: String?
    /// Disks after the boot disk: `vdb`, `vdc`, ...
    var extraDisks: [AttachedDisk] = []
    /// With the SSH channel: the host port on 127.0.0.1 forwarded to the guest's port 22.
    var sshPort: Int?

    enum BootMedia: Equatable {
        case cdrom(String)
        case kernel(kernel: String, initrd: String, arguments: String)
    }

    static let emulator = "/usr/bin/qemu-system-x86_64"
    static let ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    static let ovmfVariables = "/usr/share/OVMF/OVMF_VARS_4M.fd"

    private var firmwareLines: String {
        guard let nvram else { return "" }
        return "<loader readonly='yes' type='pflash'>\(Self.ovmfCode)</loader>"
            + "<nvram template='\(Self.ovmfVariables)'>\(nvram.xmlEscaped)</nvram>"
    }

    /// The letter of the `index`th extra disk: `b` for the first.
    static func diskLetter(_ index: Int) -> Character {
        Character(UnicodeScalar(UInt8(ascii: "b") + UInt8(index)))
    }

    private var extraDiskLines: String {
        extraDisks.enumerated().map { index, disk in disk.xml(letter: Self.diskLetter(index)) }
            .joined(separator: "\n    ")
    }

    /// QEMU's own user-mode network (libvirt 9.0 forwards ports only with passt, which Debian
    /// 12 lacks), restricted: the guest reaches neither the host nor beyond, only the forward
    /// reaches it. On PCI slot 0x18, clear of the slots libvirt gives disks plugged in later.
    private var networkLines: String {
        guard let sshPort else { return "" }
        return """
            <qemu:commandline>
                <qemu:arg value='-netdev'/>
                <qemu:arg value='user,id=harness-net,restrict=on,hostfwd=tcp:127.0.0.1:\(sshPort)-:22'/>
                <qemu:arg value='-device'/>
                <qemu:arg value='virtio-net-pci,netdev=harness-net,addr=0x18'/>
              </qemu:commandline>
            """
    }

    private var machineType: String { nvram == nil ? "pc" : "q35" }

    private var bootLines: String {
        switch bootMedia {
        case nil: "<boot dev='hd'/>"
        case .cdrom: "<boot dev='cdrom'/><boot dev='hd'/>"
        case .kernel(let kernel, let initrd, let arguments):
            "<kernel>\(kernel.xmlEscaped)</kernel><initrd>\(initrd.xmlEscaped)</initrd><cmdline>\(arguments.xmlEscaped)</cmdline>"
        }
    }

    /// The installer CD: IDE on the BIOS's pc machine, SATA on q35 (which has no IDE).
    private var cdromLines: String {
        guard case .cdrom(let iso) = bootMedia else { return "" }
        let target = machineType == "pc" ? "<target dev='hdc' bus='ide'/>" : "<target dev='sdc' bus='sata'/>"
        return "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='\(iso.xmlEscaped)'/>\(target)<readonly/></disk>"
    }

    /// The machine as the guest sees it: the XML with the name and the host's paths left out
    /// (what a saved boot's key names; a restore may change those).
    var machineShapeXML: String {
        var shape = self
        shape.name = "NAME"
        shape.uuid = nil
        shape.disk = "DISK"
        shape.console = "CONSOLE"
        shape.agentSocket = "AGENT"
        return shape.xml
    }

    var xml: String {
        """
        <domain type='\(accelerator.domainType)' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
          <name>\(name.xmlEscaped)</name>\(uuid.map { "\n  <uuid>\($0)</uuid>" } ?? "")
          <memory unit='MiB'>\(memoryMiB)</memory>
          <vcpu>\(vcpus)</vcpu>
          <os>
            <type arch='x86_64' machine='\(machineType)'>hvm</type>
            \(firmwareLines)
            \(bootLines)
          </os>
          <features><acpi/></features>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>restart</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <emulator>\(Self.emulator)</emulator>
            <disk type='file' device='disk'>
              <driver name='qemu' type='\(diskFormat)'\(detectZeroes ? " discard='unmap' detect_zeroes='unmap'" : "")/>
              <source file='\(disk.xmlEscaped)'/>
              <target dev='vda' bus='virtio'/>
              <blockio logical_block_size='\(diskSectorSize)' physical_block_size='\(diskSectorSize)'/>
            </disk>
            \(cdromLines)
            \(extraDiskLines)
            <serial type='file'>
              <source path='\(console.xmlEscaped)' append='on'/>
              <target port='0'/>
            </serial>
            <channel type='unix'>
              <source mode='bind' path='\(agentSocket.xmlEscaped)'/>
              <target type='virtio' name='org.qemu.guest_agent.0'/>
            </channel>
            <memballoon model='none'/>
          </devices>
          \(networkLines)
        </domain>
        """
    }
}
