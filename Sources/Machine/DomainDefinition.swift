/// The libvirt XML of a test machine: one virtio disk (the overlay), the serial console into a
/// file, and a virtio-serial channel for the QEMU guest agent. No network: content reaches the
/// guest on disks.
struct DomainDefinition {
    let name: String
    let accelerator: Accelerator
    let memoryMiB: Int
    let vcpus: Int
    let disk: String
    let console: String
    /// The guest agent's socket: given explicitly, since the path libvirt would derive from the
    /// state directory easily passes the 108-byte limit of a UNIX socket path.
    let agentSocket: String
    /// With UEFI: where this boot's copy of OVMF's variable store goes (fresh each boot, so
    /// OVMF takes the removable-media path and nothing needs registering).
    let nvram: String?
    /// Raw images attached read-only after the boot disk.
    var extraDisks: [String] = []

    static let ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    static let ovmfVariables = "/usr/share/OVMF/OVMF_VARS_4M.fd"

    private var firmwareLines: String {
        guard let nvram else { return "" }
        return "<loader readonly='yes' type='pflash'>\(Self.ovmfCode)</loader>"
            + "<nvram template='\(Self.ovmfVariables)'>\(nvram)</nvram>"
    }

    private var extraDiskLines: String {
        extraDisks.enumerated().map { index, path in
            let letter = Character(UnicodeScalar(UInt8(ascii: "b") + UInt8(index)))
            return "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='\(path)'/>"
                + "<target dev='vd\(letter)' bus='virtio'/><readonly/></disk>"
        }.joined(separator: "\n    ")
    }

    var xml: String {
        """
        <domain type='\(accelerator.domainType)'>
          <name>\(name)</name>
          <memory unit='MiB'>\(memoryMiB)</memory>
          <vcpu>\(vcpus)</vcpu>
          <os>
            <type arch='x86_64' machine='\(nvram == nil ? "pc" : "q35")'>hvm</type>
            \(firmwareLines)
            <boot dev='hd'/>
          </os>
          <features><acpi/></features>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>restart</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='\(disk)'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            \(extraDiskLines)
            <serial type='file'>
              <source path='\(console)'/>
              <target port='0'/>
            </serial>
            <channel type='unix'>
              <source mode='bind' path='\(agentSocket)'/>
              <target type='virtio' name='org.qemu.guest_agent.0'/>
            </channel>
            <memballoon model='none'/>
          </devices>
        </domain>
        """
    }
}
