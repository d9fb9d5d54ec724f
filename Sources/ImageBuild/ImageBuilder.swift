import Foundation
import Guestfs
import OSTree
import ToolSupport

/// `harness image build`: an OSTree commit into a disk image that boots on any machine that
/// boots disks: a real partition table, labelled `/boot` and root filesystems, the OSTree
/// sysroot with the commit deployed, and extlinux driven by ostree's syslinux backend (ostree
/// swaps its configuration atomically on every deployment change).
///
/// The filesystems are built on the host (`mkfs.ext4 -d`, into the disk file at their
/// offsets); the libguestfs appliance is launched once, only to install extlinux.
public struct ImageBuilder {
    public let options: ImageOptions

    public init(options: ImageOptions) { self.options = options }

    public func build() throws {
        try validate()
        let commit = try resolveCommit()
        let staging = try TemporaryDirectory(prefix: "harness-image-", in: "/var/tmp")
        defer { staging.remove() }
        let sysroot = staging.path + "/sysroot"

        try makeSysroot(sysroot, commit: commit)
        let bootContent = staging.path + "/boot"
        try FileManager.default.moveItem(atPath: sysroot + "/boot", toPath: bootContent)
        try FileManager.default.createDirectory(atPath: sysroot + "/boot", withIntermediateDirectories: false)

        let raw = staging.path + "/disk.raw"
        // Platform artifacts all come from the hybrid disk: clouds boot through UEFI, metal either way.
        let firmware = options.platforms.isEmpty ? options.firmware : .uefi
        let layout = DiskLayout(diskSize: options.size, firmware: firmware)
        let needed = try RootFilesystemSize.needed(forTreeAt: sysroot)
        guard needed <= layout.rootSize else {
            throw ImageError(.tooSmall(size: options.size, needed: options.size - layout.rootSize + needed))
        }
        try writeDisk(raw, layout: layout, sysroot: sysroot, bootContent: bootContent)
        if firmware == .uefi {
            Console.progress("Writing the EFI system partition (standalone GRUB reading ostree's syslinux.cfg)")
            try UEFIBootloader.writeESP(disk: raw, offset: layout.espOffset, size: DiskLayout.espSize, scratch: staging.path)
        }
        try installBootloader(raw, layout: layout)

        if options.platforms.isEmpty {
            FileTree.removeRecursively(sysroot)
            try writeImage(raw)
        } else {
            if !options.liveISO { FileTree.removeRecursively(sysroot) }
            let images = PlatformImages(raw: raw, layout: layout,
                                        bootArguments: PlatformBootArguments(bootContent: bootContent, bootOffset: layout.bootOffset),
                                        name: artifactName, compression: options.compression, scratch: staging.path)
            try writePlatforms(images, commit: commit, sysroot: sysroot, bootContent: bootContent)
        }
    }

    /// The one image of `--format`, renamed into place when whole.
    private func writeImage(_ raw: String) throws {
        let outputDirectory = (options.output as NSString).deletingLastPathComponent
        let temporaryOutput = outputDirectory + "/." + (options.output as NSString).lastPathComponent + ".partial"
        defer { try? FileManager.default.removeItem(atPath: temporaryOutput) }
        switch options.format {
        case .qcow2:
            Console.progress("Converting to qcow2")
            try Program.check(["qemu-img", "convert", "-O", "qcow2", raw, temporaryOutput])
        case .raw:
            try FileManager.default.moveItem(atPath: raw, toPath: temporaryOutput)
        }
        try SystemCallError.check("rename into place", options.output) { rename(temporaryOutput, options.output) }
        Console.progress("Wrote \(options.output)")
    }

    /// The platform artifacts, staged in the output directory and moved in when all are
    /// whole, meta.json last: a failed build leaves the directory as it was.
    private func writePlatforms(_ images: PlatformImages, commit: String, sysroot: String, bootContent: String) throws {
        let directory = options.output
        let staged = try TemporaryDirectory(prefix: ".harness-build-", in: directory)
        defer { staged.remove() }
        let started = Date()
        var artifacts = Dictionary(uniqueKeysWithValues: try images.write(options.platforms, into: staged.path)
            .map { ($0.key.rawValue, $0.value) })
        if options.liveISO {
            // The metal artifact as written (before any compression: the installer needs it raw).
            let metal = images.fileName(.metal)
            let installer = try liveInstaller(metalImage: staged.path + "/" + metal, imageName: metal, sysroot: sysroot,
                                              bootContent: bootContent, scratch: staged.path + "/.live")
            for (key, path) in try installer.write(into: staged.path) {
                artifacts[key] = BuildMetadata.Artifact(path: (path as NSString).lastPathComponent,
                                                        sha256: try Digest.sha256(file: path), size: try FileTree.size(of: path))
            }
            FileTree.removeRecursively(staged.path + "/.live")
        }
        let metadata = BuildMetadata(name: artifactName, ref: options.ref, commit: commit, diskSize: options.size, images: artifacts)
        try metadata.install(Array(artifacts.values), from: staged.path, into: directory)
        Console.progress("Wrote \(artifacts.count) platform image(s) and \(BuildMetadata.fileName) into \(directory) "
                         + "(\(Int(Date().timeIntervalSince(started))) s after the raw disk)")
    }

    /// The installer of the metal image: the deployment's kernel and modules.
    private func liveInstaller(metalImage: String, imageName: String, sysroot: String, bootContent: String,
                               scratch: String) throws -> LiveInstaller {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let kernels = try FileManager.default.subpathsOfDirectory(atPath: bootContent + "/ostree")
            .filter { ($0 as NSString).lastPathComponent.hasPrefix("vmlinuz-") }
        guard kernels.count == 1, let kernel = kernels.first else {
            throw ImageError("\(options.ref): expected one kernel in /boot/ostree, found \(kernels.count)")
        }
        let version = String((kernel as NSString).lastPathComponent.dropFirst("vmlinuz-".count))
        return LiveInstaller(metalImage: metalImage, imageName: imageName, osName: options.osName,
                             deployment: try RootedTree(try deploymentDirectory(sysroot)), kernel: bootContent + "/ostree/" + kernel,
                             kernelVersion: version, name: artifactName, scratch: scratch)
    }

    /// The one deployment `ostree admin deploy` made in the image's sysroot.
    private func deploymentDirectory(_ sysroot: String) throws -> String {
        let deployments = sysroot + "/ostree/deploy/\(options.osName)/deploy"
        guard let deployment = try FileManager.default.contentsOfDirectory(atPath: deployments)
            .first(where: { !$0.hasSuffix(".origin") }) else {
            throw ImageError("ostree admin deploy left no deployment in \(deployments)")
        }
        return deployments + "/" + deployment
    }

    /// The artifacts' common name: the ref's last element (`debian-bookworm`), in characters
    /// every file system and XML attribute takes as they are.
    var artifactName: String {
        let last = options.ref.split(separator: "/").last.map(String.init) ?? "image"
        let safe = String(last.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
        return safe.isEmpty || safe.hasPrefix(".") ? "image" + safe : safe
    }

    /// Refuses bad input before any work: an output nobody can write, a firmware not built.
    private func validate() throws {
        let directory: String
        if options.platforms.isEmpty {
            directory = (options.output as NSString).deletingLastPathComponent
        } else {
            directory = options.output
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw ImageError("\(directory): with --platform, -o names a directory, and this is a file")
            }
            guard options.size % (1 << 20) == 0 else {
                throw ImageError("--size \(options.size): platform images take a whole number of MiB (Azure requires it)")
            }
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // access() says yes to root everywhere: only creating a file proves the directory
        // takes one (not /proc, not a read-only mount).
        let probe = directory + "/.harness-write-probe-\(getpid())"
        do {
            close(try SystemCallError.check("create", probe) { open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600) })
        } catch let error as SystemCallError {
            throw ImageError("\(options.output): output directory \(directory) is not writable (\(error.errno))")
        }
        unlink(probe)
        // The partitions before the root filesystem, and 64 MiB of it.
        let smallest = DiskLayout.firstOffset + DiskLayout.espSize + DiskLayout.bootSize + (64 << 20) + 1
        guard options.size >= smallest else { throw ImageError(.tooSmall(size: options.size, needed: smallest)) }
    }

    private func resolveCommit() throws -> String {
        let repository = try OSTreeRepository.open(at: options.repository)
        guard let commit = try repository.resolve(options.ref) else {
            throw ImageError("ref '\(options.ref)' not found in \(options.repository)")
        }
        return commit
    }

    /// `ostree admin init-fs`, `os-init`, the commit pulled into the image's own repository
    /// from a `harness` remote, and deployed with its kernel arguments and an origin.
    private func makeSysroot(_ sysroot: String, commit: String) throws {
        Console.progress("Making the OSTree sysroot")
        try FileManager.default.createDirectory(atPath: sysroot, withIntermediateDirectories: true)
        let os = options.osName
        try Program.check(["ostree", "admin", "init-fs", sysroot])
        try Program.check(["ostree", "admin", "os-init", "--sysroot=" + sysroot, os])
        let imageRepo = "--repo=" + sysroot + "/ostree/repo"
        try Program.check(["ostree", imageRepo, "remote", "add", "--no-gpg-verify", "harness",
                           "file://" + options.repository])
        Console.progress("Pulling \(options.ref) (\(commit.prefix(12))) into the image's repository")
        try Program.check(["ostree", imageRepo, "pull", "harness", options.ref])
        try Program.check(["ostree", imageRepo, "remote", "delete", "harness"])
        let verification = options.gpgImport.map { ["--set=gpg-verify=true", "--set=gpg-verify-summary=true", "--gpg-import=" + $0] }
            ?? ["--no-gpg-verify"]
        try Program.check(["ostree", imageRepo, "remote", "add"] + verification + ["harness", options.remoteURL])

        try seedSyslinux(sysroot + "/boot")
        Console.progress("Deploying")
        let kargs = ["root=LABEL=root", "rw", "console=ttyS0,115200"] + options.kernelArguments
        try Program.check(["ostree", "admin", "deploy", "--sysroot=" + sysroot, "--os=" + os]
                          + kargs.map { "--karg=" + $0 } + ["harness:" + options.ref])
        // The commit is the image's to choose: its /etc may link anywhere, but only inside it.
        let tree = try RootedTree(try deploymentDirectory(sysroot))
        try tree.writeFile("/etc/fstab", Array("LABEL=boot /boot ext4 defaults 1 2\n".utf8))
        if !options.authorizedKeys.isEmpty {
            try installAuthorizedKeys(deployment: tree, stateroot: sysroot + "/ostree/deploy/\(os)")
        }
    }

    /// Root's `~/.ssh/authorized_keys`: under the stateroot's /var when the tree's `/root` links
    /// there (`root -> var/roothome`, the OSTree layout), else in the deployment's `/root`.
    private func installAuthorizedKeys(deployment: RootedTree, stateroot: String) throws {
        var home = (deployment, "/root")
        if let target = try deployment.symlinkTarget("/root") {
            let relative = target.hasPrefix("/") ? String(target.dropFirst()) : target
            guard relative.hasPrefix("var/") else {
                throw ImageError("\(options.ref): /root links to \(target), not into /var: cannot place root's SSH key")
            }
            home = (try RootedTree(stateroot + "/var"), "/" + relative.dropFirst("var/".count))
        }
        let (tree, path) = home
        try tree.createDirectory(path, mode: 0o700)
        try tree.createDirectory(path + "/.ssh", mode: 0o700)
        try tree.writeFile(path + "/.ssh/authorized_keys",
                           Array(options.authorizedKeys.map { $0 + "\n" }.joined().utf8), mode: 0o600)
    }

    /// ostree's syslinux backend rewrites `loader/syslinux.cfg`; it needs a first
    /// `loader.0/syslinux.cfg`, the `loader` link, and `syslinux/syslinux.cfg` pointing at it.
    private func seedSyslinux(_ boot: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: boot + "/loader.0", withIntermediateDirectories: true)
        // Labels hold spaces: the menu module shows them as they are. The menu waits 1 s
        // (tenths of a second; GRUB's syslinux reader takes the same), as Fedora CoreOS's GRUB
        // does: time to pick the rollback entry at a console, little for every test boot.
        try "UI menu.c32\nPROMPT 0\nTIMEOUT 10\n".write(toFile: boot + "/loader.0/syslinux.cfg",
                                                         atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: boot + "/loader", withDestinationPath: "loader.0")
        try fm.createDirectory(atPath: boot + "/syslinux", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: boot + "/syslinux/syslinux.cfg", withDestinationPath: "../loader/syslinux.cfg")
        for module in ["menu.c32", "libutil.c32", "libcom32.c32"] {
            try fm.copyItem(atPath: "/usr/lib/syslinux/modules/bios/" + module, toPath: boot + "/syslinux/" + module)
        }
    }

    /// The partition table, both filesystems written in place from directories, and
    /// syslinux's MBR boot code.
    private func writeDisk(_ raw: String, layout: DiskLayout, sysroot: String, bootContent: String) throws {
        Console.progress("Writing the disk (\(ByteCount.format(options.size)))")
        guard FileManager.default.createFile(atPath: raw, contents: nil), truncate(raw, off_t(options.size)) == 0 else {
            throw ImageError("\(raw): cannot create the disk file")
        }
        try Program.check(["sh", "-c", "printf '%s' \"$1\" | sfdisk --quiet \"$2\"", "sfdisk", layout.sfdiskScript, raw])
        try Program.check(["mkfs.ext4", "-q", "-F", "-L", "boot", "-O", "^64bit", "-d", bootContent,
                           "-E", "offset=\(layout.bootOffset)", raw, "\(DiskLayout.bootSize >> 10)k"])
        try Program.check(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", sysroot,
                           "-E", "offset=\(layout.rootOffset)", raw, "\(layout.rootSize >> 10)k"])
        try Program.check(["dd", "if=" + layout.masterBootRecord, "of=" + raw, "bs=440", "count=1",
                           "conv=notrunc", "status=none"])
    }

    /// The one appliance launch: extlinux into `/boot/syslinux`.
    private func installBootloader(_ raw: String, layout: DiskLayout) throws {
        Console.progress("Installing extlinux (libguestfs appliance, about 30 s under TCG)")
        let guestfs = try GuestfsHandle(forceTCG: true)
        try guestfs.addDrive(raw, format: "raw")
        try guestfs.launch()
        try guestfs.mount(layout.bootDevice, at: "/")
        try guestfs.installExtlinux(in: "/syslinux")
        try guestfs.shutdown()
    }
}
