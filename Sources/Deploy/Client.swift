import Foundation
import OSTree
import ToolSupport

/// The client's view of one sysroot and one stateroot (OS name): its deployments, the one
/// that is current, and the changes that make new deployments.
///
/// Every change builds and checks out a new deployment first and only then writes the
/// deployment list, which libostree swaps atomically: a failure (or a kill) before that
/// leaves the booted deployment and the list as they were.
public final class Client {
    public let sysroot: OSTreeSysroot
    public let repository: OSTreeRepository
    public let osName: String
    /// What the last pull of an upgrade, deploy or rebase fetched.
    public internal(set) var lastFetch: OSTreeRepository.PullStatistics?

    /// Opens the sysroot at `path`; `osName` defaults to the booted deployment's stateroot,
    /// else the default deployment's.
    public init(sysrootPath: String, osName: String? = nil) throws {
        sysroot = try OSTreeSysroot(path: sysrootPath)
        repository = try sysroot.repository()
        let all = sysroot.deployments()
        guard let name = osName ?? all.first(where: \.isBooted)?.osName ?? all.first?.osName else {
            throw DeployError("\(sysrootPath): the sysroot has no deployments")
        }
        self.osName = name
    }

    /// Takes the sysroot lock for a change; other treectl and `ostree admin` runs wait.
    public func lock() throws {
        try sysroot.lock { Console.progress($0) }
    }

    /// This stateroot's deployments, in boot order.
    public var deployments: [OSTreeDeployment] {
        sysroot.deployments().filter { $0.osName == osName }
    }

    /// The deployment changes start from: the booted one, or on a sysroot that is not booted
    /// (a directory under test) the default one. Its `/etc` is merged into new deployments.
    public func current() throws -> OSTreeDeployment {
        let list = deployments
        guard let current = list.first(where: \.isBooted) ?? list.first else {
            throw DeployError("\(sysroot.path): stateroot '\(osName)' has no deployments")
        }
        return current
    }

    /// The origin of a deployment.
    public func origin(of deployment: OSTreeDeployment) throws -> Origin {
        guard let text = deployment.origin else {
            throw DeployError("\(deployment.id): the deployment has no origin file")
        }
        return try Origin(keyFileText: text, source: "origin of \(deployment.id)")
    }

    /// The base commit of a deployment: its own commit, or for a layered one the commit the
    /// layers were built on.
    public func baseCommit(of commit: String) throws -> String {
        let info = try repository.commit(commit)
        return info.metadata[LayeredCommit.baseKey]?.stringValue ?? commit
    }

    /// Deploys `commit` with `origin` (and `kernelArguments`, or the current deployment's)
    /// as the new default, keeping the current deployment as the rollback target and pinned
    /// deployments; others of this stateroot go. Returns the new deployment.
    @discardableResult
    public func deploy(commit: String, origin: Origin, kernelArguments: [String]? = nil) throws -> OSTreeDeployment {
        let current = try current()
        Console.progress("Deploying \(commit)")
        let created = try sysroot.deploy(osName: osName, commit: commit, origin: origin.keyFileText, merge: current,
                                         kernelArguments: kernelArguments)
        let kept = sysroot.deployments().filter { $0.osName != osName || $0.isSame(as: current) || $0.isPinned }
        Failpoint.hit("deploy-before-write")
        Console.progress("Writing the deployment list")
        try writeDeployments([created] + kept)
        return created
    }

    /// Writes the deployment list: every command that changes deployments comes here.
    ///
    /// Power-safe on Debian's ostree 2022.7, whose own write is not: the list is written with
    /// the post-clean off, then /boot's filesystem is frozen and thawed, so that the swapped
    /// boot entries are where extlinux and GRUB read them (they never replay the ext4
    /// journal), and only then are the old boot links and deployments deleted. A power cut at
    /// any moment leaves a boot entry whose deployment exists. The base commits of layered
    /// deployments are held under refs first, so that the prune keeps them for `db diff` and
    /// upgrades.
    public func writeDeployments(_ list: [OSTreeDeployment]) throws {
        let bases = Set(try list.map { try baseCommit(of: $0.checksum) }.filter { !list.map(\.checksum).contains($0) })
        let existing = try repository.refs(prefix: LayeredCommit.baseRefPrefix)
        for (index, base) in bases.sorted().enumerated() {
            try repository.setRefImmediately("\(LayeredCommit.baseRefPrefix)/\(index)", to: base)
        }
        try sysroot.write(list)
        // Refs of bases no deployment uses any more go (listed with or without the prefix).
        for name in existing.keys {
            guard let index = name.split(separator: "/").last.flatMap({ Int($0) }), index >= bases.count else { continue }
            try repository.setRefImmediately("\(LayeredCommit.baseRefPrefix)/\(index)", to: nil)
        }
        Console.progress("Flushing \(sysroot.bootPath) to where the bootloader reads it (freeze and thaw)")
        let flush = try FilesystemFreeze.cycle(sysroot.bootPath) { Failpoint.hit("boot-frozen") }
        if case .synced(let reason) = flush {
            Console.warning("\(sysroot.bootPath): freezing was refused (\(reason)); synced it instead, which a bootloader may not see yet")
        }
        Console.progress("Cleaning up old deployments and boot files")
        try sysroot.cleanup()
    }
}
