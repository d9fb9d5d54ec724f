/// Where an image runs, as coreos-assembler names it: each platform has its container format,
/// its kernel arguments and its disk's logical sector size. Every platform's artifact comes
/// from the one hybrid (GPT, BIOS and UEFI) raw disk an image build writes.
public enum Platform: String, Sendable, CaseIterable, Comparable {
    case qemu, metal, metal4k, openstack, aws, azure, gcp, vmware, hyperv

    /// `--platform live-iso`: the installer of the metal image (`LiveInstaller`), not a disk.
    public static let liveISO = "live-iso"

    /// The platforms named on a command line, in the order given, each once, and whether the
    /// live installer was one of them (it installs the metal image, which comes with it).
    public static func parse(_ names: [String]) throws -> (platforms: [Platform], liveISO: Bool) {
        var platforms: [Platform] = []
        var liveISO = false
        for name in names {
            if name == Self.liveISO {
                liveISO = true
                continue
            }
            guard let platform = Platform(rawValue: name) else {
                let known = allCases.map(\.rawValue) + [Self.liveISO]
                throw ImageError("--platform '\(name)' is not a platform (one of: \(known.joined(separator: ", ")))")
            }
            if !platforms.contains(platform) { platforms.append(platform) }
        }
        if liveISO && !platforms.contains(.metal) { platforms.append(.metal) }
        return (platforms, liveISO)
    }

    /// The artifact's file name extension.
    public var fileExtension: String {
        switch self {
        case .qemu, .openstack: "qcow2"
        case .metal, .metal4k: "raw"
        case .aws: "vmdk"
        case .vmware: "ova"
        case .azure: "vhd"
        case .gcp: "tar.gz"
        case .hyperv: "vhdx"
        }
    }

    /// The logical sector size of the disks it is written to.
    public var sectorSize: Int { self == .metal4k ? 4096 : 512 }

    /// Whether machines of this platform boot through UEFI (the others through the BIOS; the
    /// hybrid disk boots both). metal4k has no BIOS path: syslinux reads 512-byte sectors.
    public var bootsUEFI: Bool {
        switch self {
        case .metal4k, .aws, .gcp, .hyperv, .openstack: true
        case .qemu, .metal, .azure, .vmware: false
        }
    }

    /// Its kernel arguments, after the image's own: `harness.platform=P` (as `ignition.platform.id`
    /// is for CoreOS) and the console the platform shows (clouds keep a serial log; the first
    /// console is where messages go, the last is /dev/console).
    public var kernelArguments: [String] {
        let platform = "harness.platform=\(rawValue)"
        switch self {
        case .qemu, .metal, .metal4k: return [platform]
        case .openstack, .aws, .azure, .gcp, .vmware, .hyperv:
            return [platform, "console=tty0", "console=ttyS0,115200n8"]
        }
    }

    public static func < (lhs: Platform, rhs: Platform) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
