import Foundation
import ToolSupport

/// An image file as a machine boots it: the file its qcow2 overlay is backed by, and that
/// file's format. Every format `harness image build` writes boots: qcow2, raw, VMDK, VHD (QEMU's
/// `vpc`) and VHDX in place; gcp's tar and the OVA are unpacked into the machine's scratch
/// first (their disk is one member, a regular file; nothing else in the archive is extracted).
struct BootDisk: Equatable {
    let path: String
    let format: String

    /// A new qcow2 overlay at `path` backed by this disk, as large as `size` when given (the
    /// guest sees the disk grown).
    func createOverlay(at path: String, size: UInt64? = nil) throws {
        try Program.check(["qemu-img", "create", "-q", "-f", "qcow2", "-F", format, "-b", self.path, path]
                          + (size.map { ["\($0)"] } ?? []))
    }

    /// The format a file name says, or nil for the archives and names that say nothing.
    static func format(ofFileNamed name: String) -> String? {
        switch (name as NSString).pathExtension.lowercased() {
        case "qcow2": "qcow2"
        case "raw", "img": "raw"
        case "vmdk": "vmdk"
        case "vhd": "vpc"
        case "vhdx": "vhdx"
        default: nil
        }
    }

    /// The disk of `image`, unpacked into `scratch` when it is an archive, converted there when
    /// libvirt cannot name its format.
    static func open(_ image: String, scratch: String) throws -> BootDisk {
        try readableByLibvirt(opened(image, scratch: scratch), scratch: scratch)
    }

    /// Formats QEMU reads and libvirt cannot name: with its storage-file module (Debian's
    /// libvirt-daemon, which harness needs for saved boots) libvirt follows an overlay's backing
    /// chain itself and opens such a backing file as raw.
    static let formatsLibvirtLacks: Set = ["vhdx"]

    /// `disk`, or a qcow2 copy of it in `scratch` when libvirt lacks its format.
    private static func readableByLibvirt(_ disk: BootDisk, scratch: String) throws -> BootDisk {
        guard formatsLibvirtLacks.contains(disk.format) else { return disk }
        let copy = scratch + "/disk.qcow2"
        Console.progress("Converting \(disk.path) to qcow2 (libvirt cannot name the \(disk.format) format)")
        try Program.check(["qemu-img", "convert", "-q", "-f", disk.format, "-O", "qcow2", disk.path, copy])
        return BootDisk(path: copy, format: "qcow2")
    }

    private static func opened(_ image: String, scratch: String) throws -> BootDisk {
        let path = URL(fileURLWithPath: image).standardizedFileURL.path
        if let format = format(ofFileNamed: path) { return BootDisk(path: path, format: format) }
        if path.hasSuffix(".tar.gz") || path.hasSuffix(".tgz") {
            return BootDisk(path: try extract("disk.raw", from: path, into: scratch), format: "raw")
        }
        if path.hasSuffix(".ova") {
            let members = try Program.check(["tar", "-tf", path]).stdout.split(separator: "\n").map(String.init)
            guard let disk = members.first(where: { $0.hasSuffix(".vmdk") && !$0.contains("/") }) else {
                throw MachineError("\(image): an OVA without a .vmdk disk at its top level")
            }
            return BootDisk(path: try extract(disk, from: path, into: scratch), format: "vmdk")
        }
        // A name that says nothing: what qemu-img finds, which is what QEMU itself would probe.
        let info = try Program.check(["qemu-img", "info", "--output=json", path]).stdout
        guard let object = try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any],
              let format = object["format"] as? String else {
            throw MachineError("\(image): qemu-img cannot tell its format")
        }
        return BootDisk(path: path, format: format)
    }

    /// One member of a tar archive (gzip'ed or not; sparse members stay sparse) into `directory`.
    private static func extract(_ member: String, from archive: String, into directory: String) throws -> String {
        Console.progress("Unpacking \(member) from \(archive)")
        let result = try Program.run(["tar", "-xf", archive, "-C", directory, "--no-same-owner", "--", member])
        let path = directory + "/" + member
        guard result.succeeded, FileManager.default.fileExists(atPath: path) else {
            throw MachineError("\(archive): no \(member) in it (\(result.outputTail(lines: 1)))")
        }
        // A member that is a link would hand the guest whatever it points at on the host.
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw MachineError("\(archive): \(member) is not a regular file (a link or a device): refused")
        }
        return path
    }
}
