import Foundation
import ToolSupport

/// Every platform's artifact from one raw build: per platform, a sparse copy of the hybrid
/// disk, the platform's kernel arguments written into its boot entries, metal4k's 4096-byte
/// table, then the container format as coreos-assembler writes it.
struct PlatformImages {
    /// The hybrid raw disk, with its layout and staged /boot.
    let raw: String
    let layout: DiskLayout
    let bootArguments: PlatformBootArguments
    /// The artifacts' common name: `NAME-PLATFORM.EXT`.
    let name: String
    let compression: Compression?
    let scratch: String

    func fileName(_ platform: Platform) -> String { "\(name)-\(platform.rawValue).\(platform.fileExtension)" }

    /// Writes the artifacts into `directory`; returns meta.json's entry of each.
    func write(_ platforms: [Platform], into directory: String) throws -> [Platform: BuildMetadata.Artifact] {
        // One conversion per core: each is single-threaded.
        let results = ResultSlots<BuildMetadata.Artifact>(count: platforms.count)
        DispatchQueue.concurrentPerform(iterations: platforms.count) { index in
            results[index] = Result {
                do {
                    return try write(platforms[index], into: directory)
                } catch {
                    throw ImageError("platform \(platforms[index].rawValue): \(error)")
                }
            }
        }
        return Dictionary(uniqueKeysWithValues: zip(platforms, try results.values()))
    }

    private func write(_ platform: Platform, into directory: String) throws -> BuildMetadata.Artifact {
        let work = scratch + "/" + platform.rawValue
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { FileTree.removeRecursively(work) }
        let disk = work + "/disk.raw"
        try Program.check(["cp", "--sparse=always", "--reflink=auto", raw, disk])
        try bootArguments.append(platform.kernelArguments, disk: disk, scratch: work)
        if platform == .metal4k {
            try FourKSectorDisk.convert(disk, layout: layout, scratch: work)
        }
        let target = directory + "/" + fileName(platform)
        Console.progress("Writing \(fileName(platform))")
        try convert(disk, to: target, for: platform, work: work)

        var artifact = BuildMetadata.Artifact(path: fileName(platform), sha256: try Digest.sha256(file: target),
                                              size: try FileTree.size(of: target))
        // gcp's tar is gzip'ed already.
        if let compression, platform != .gcp {
            try Program.check(compression.command(target))
            artifact.uncompressedSHA256 = artifact.sha256
            artifact.uncompressedSize = artifact.size
            artifact.path += "." + compression.fileExtension
            let compressed = directory + "/" + artifact.path
            artifact.sha256 = try Digest.sha256(file: compressed)
            artifact.size = try FileTree.size(of: compressed)
        }
        return artifact
    }

    /// The raw disk into the platform's container.
    private func convert(_ disk: String, to target: String, for platform: Platform, work: String) throws {
        switch platform {
        case .metal, .metal4k:
            try FileManager.default.moveItem(atPath: disk, toPath: target)
        case .qemu, .openstack:
            try Program.check(["qemu-img", "convert", "-q", "-O", "qcow2", "-o", "compat=1.1", disk, target])
        case .aws:
            try writeStreamOptimizedVMDK(disk, to: target)
        case .vmware:
            let vmdkName = "\(name)-vmware.vmdk", ovfName = "\(name)-vmware.ovf"
            try writeStreamOptimizedVMDK(disk, to: work + "/" + vmdkName)
            let descriptor = OVFDescriptor(name: "\(name)-vmware", diskFile: vmdkName,
                                           diskFileSize: try FileTree.size(of: work + "/" + vmdkName), capacity: layout.diskSize)
            try descriptor.xml.write(toFile: work + "/" + ovfName, atomically: false, encoding: .utf8)
            // OVF 1.0: a ustar archive whose first member is the descriptor.
            try Program.check(["tar", "--format=ustar", "--owner=0", "--group=0", "-cf", target, "-C", work, ovfName, vmdkName])
        case .azure:
            // Azure takes fixed VHDs whose virtual size is a whole number of MiB, exactly.
            try Program.check(["qemu-img", "convert", "-q", "-O", "vpc", "-o", "subformat=fixed,force_size", disk, target])
        case .gcp:
            // GCE imports a gzip'ed tar holding `disk.raw`, in GNU's old format, sparse.
            let gcp = work + "/gcp"
            try FileManager.default.createDirectory(atPath: gcp, withIntermediateDirectories: false)
            try FileManager.default.moveItem(atPath: disk, toPath: gcp + "/disk.raw")
            try Program.check(["tar", "--format=oldgnu", "--owner=0", "--group=0", "-Sczf", target, "-C", gcp, "disk.raw"])
        case .hyperv:
            try Program.check(["qemu-img", "convert", "-q", "-O", "vhdx", "-o", "subformat=dynamic", disk, target])
        }
    }

    /// VMDK as AWS and VMware import it. `-c` writes whole compressed grains once each, which
    /// is how qemu-img writes compressed targets (a streamOptimized write without it failed
    /// once in CI with EINVAL).
    private func writeStreamOptimizedVMDK(_ disk: String, to target: String) throws {
        try Program.check(["qemu-img", "convert", "-q", "-c", "-O", "vmdk",
                           "-o", "adapter_type=lsilogic,subformat=streamOptimized,compat6", disk, target])
    }
}
