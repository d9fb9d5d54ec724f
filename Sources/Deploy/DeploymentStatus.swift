import Foundation
import OSTree

/// The deployments of a system in rpm-ostree's `status --json` schema: what `treectl status`
/// prints and what the harness reads back from a guest (from treectl, or from rpm-ostree).
public struct SystemStatus: Codable, Equatable, Sendable {
    /// Newest (the next boot) first.
    public var deployments: [DeploymentStatus]

    public init(deployments: [DeploymentStatus]) {
        self.deployments = deployments
    }

    /// The booted deployment, if one is.
    public var booted: DeploymentStatus? { deployments.first(where: \.booted) }

    /// Reads a client's `status --json`.
    public init(json: String) throws {
        self = try JSONDecoder().decode(SystemStatus.self, from: Data(json.utf8))
    }
}

/// One deployment, with rpm-ostree's keys. Keys rpm-ostree leaves out (it writes
/// `base-checksum` only for a layered deployment) read as empty.
public struct DeploymentStatus: Codable, Equatable, Sendable {
    public var id: String
    public var osname: String
    public var serial: Int
    public var checksum: String
    /// The commit the layers were built on; the deployment's own commit when nothing is layered.
    public var baseChecksum: String?
    /// The refspec the deployment follows.
    public var origin: String
    public var booted: Bool
    public var staged: Bool
    public var pinned: Bool
    public var requestedPackages: [String]
    public var requestedLocalPackages: [String]
    public var baseRemovals: [String]
    public var baseLocalReplacements: [String]
    /// The commit's timestamp, seconds since the epoch.
    public var timestamp: UInt64
    public var version: String?
    public var kernelArguments: String?
    public var overrideCommit: String?

    /// The commit the deployment's base is: `base-checksum` or, without layers, `checksum`.
    public var base: String { baseChecksum ?? checksum }

    enum CodingKeys: String, CodingKey {
        case id, osname, serial, checksum, origin, booted, staged, pinned, timestamp, version
        case baseChecksum = "base-checksum"
        case requestedPackages = "requested-packages"
        case requestedLocalPackages = "requested-local-packages"
        case baseRemovals = "base-removals"
        case baseLocalReplacements = "base-local-replacements"
        case kernelArguments = "kernel-arguments"
        case overrideCommit = "override-commit"
    }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        checksum = try values.decode(String.self, forKey: .checksum)
        booted = try values.decodeIfPresent(Bool.self, forKey: .booted) ?? false
        id = try values.decodeIfPresent(String.self, forKey: .id) ?? ""
        osname = try values.decodeIfPresent(String.self, forKey: .osname) ?? ""
        serial = try values.decodeIfPresent(Int.self, forKey: .serial) ?? 0
        baseChecksum = try values.decodeIfPresent(String.self, forKey: .baseChecksum)
        origin = try values.decodeIfPresent(String.self, forKey: .origin) ?? ""
        staged = try values.decodeIfPresent(Bool.self, forKey: .staged) ?? false
        pinned = try values.decodeIfPresent(Bool.self, forKey: .pinned) ?? false
        requestedPackages = try values.decodeIfPresent([String].self, forKey: .requestedPackages) ?? []
        requestedLocalPackages = try values.decodeIfPresent([String].self, forKey: .requestedLocalPackages) ?? []
        baseRemovals = try values.decodeIfPresent([String].self, forKey: .baseRemovals) ?? []
        baseLocalReplacements = try values.decodeIfPresent([String].self, forKey: .baseLocalReplacements) ?? []
        timestamp = try values.decodeIfPresent(UInt64.self, forKey: .timestamp) ?? 0
        version = try values.decodeIfPresent(String.self, forKey: .version)
        kernelArguments = try values.decodeIfPresent(String.self, forKey: .kernelArguments)
        overrideCommit = try values.decodeIfPresent(String.self, forKey: .overrideCommit)
    }

    init(_ deployment: OSTreeDeployment, client: Client) {
        let commit = try? client.repository.commit(deployment.checksum)
        let origin = try? client.origin(of: deployment)
        id = deployment.id
        osname = deployment.osName
        serial = deployment.serial
        checksum = deployment.checksum
        baseChecksum = (try? client.baseCommit(of: deployment.checksum)) ?? deployment.checksum
        self.origin = origin?.refspec ?? ""
        booted = deployment.isBooted
        staged = deployment.isStaged
        pinned = deployment.isPinned
        requestedPackages = origin?.requestedPackages ?? []
        requestedLocalPackages = origin?.requestedLocalPackages.map(\.nevra) ?? []
        baseRemovals = origin?.removedBasePackages ?? []
        baseLocalReplacements = origin?.replacedBasePackages.map(\.nevra) ?? []
        timestamp = commit?.timestamp ?? 0
        version = commit?.metadata["version"]?.stringValue
        kernelArguments = deployment.kernelArguments
        overrideCommit = origin?.overrideCommit
    }
}

extension Client {
    /// Every deployment of the sysroot (all stateroots), in boot order.
    public func status() -> SystemStatus {
        SystemStatus(deployments: sysroot.deployments().map { DeploymentStatus($0, client: self) })
    }
}
