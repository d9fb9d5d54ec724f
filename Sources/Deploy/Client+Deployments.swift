import Foundation
import OSTree
import ToolSupport

extension Client {
    /// Makes the previous deployment the default again: the booted one when another is
    /// pending, otherwise the one after the booted one. Nothing is deleted.
    @discardableResult
    public func rollback() throws -> OSTreeDeployment {
        let all = sysroot.deployments()
        let ours = all.filter { $0.osName == osName }
        let current = try current()
        let target: OSTreeDeployment
        if let first = ours.first, !first.isSame(as: current) {
            target = current
        } else if ours.count > 1 {
            target = ours[1]
        } else {
            throw DeployError("rollback: there is no other deployment of '\(osName)' to roll back to")
        }
        try writeDeployments([target] + all.filter { !$0.isSame(as: target) })
        return target
    }

    /// Deploys the default deployment's commit again with kernel arguments changed by `edit`
    /// (so that rollback returns to the old ones). Returns nil when nothing changed.
    public func changeKernelArguments(_ edit: (inout KernelArguments) throws -> Void) throws -> OSTreeDeployment? {
        let start = try defaultDeployment()
        var arguments = KernelArguments(start.kernelArguments ?? "")
        let before = arguments
        try edit(&arguments)
        guard arguments != before else { return nil }
        return try deploy(commit: start.checksum, origin: try origin(of: start), kernelArguments: arguments.list)
    }

    /// Removes the pending deployment (a default one that is not booted) and/or the rollback
    /// deployments (those after the current one); the booted deployment and pinned ones stay.
    /// Returns the removed deployments.
    public func cleanup(pending: Bool, rollback: Bool) throws -> [OSTreeDeployment] {
        let all = sysroot.deployments()
        let current = try current()
        guard let currentIndex = all.firstIndex(where: { $0.isSame(as: current) }) else { return [] }
        let removed = all.enumerated().filter { index, deployment in
            guard deployment.osName == osName, !deployment.isPinned, !deployment.isBooted else { return false }
            return (pending && index < currentIndex) || (rollback && index > currentIndex)
        }.map(\.element)
        if removed.isEmpty {
            try sysroot.cleanup()   // what an interrupted change left; writeDeployments does it otherwise
        } else {
            try writeDeployments(all.filter { deployment in !removed.contains { $0.isSame(as: deployment) } })
        }
        return removed
    }
}

/// A kernel command line as a list, edited the way `rpm-ostree kargs` does.
public struct KernelArguments: Sendable, Equatable {
    public private(set) var list: [String]

    /// The arguments of a boot entry's command line, less those ostree writes itself for
    /// each deployment (`ostree=`, and `init=` its prepare-root where there is no initramfs).
    public init(_ commandLine: String) {
        list = commandLine.split(separator: " ").map(String.init).filter { argument in
            !argument.hasPrefix("ostree=") && !(argument.hasPrefix("init=") && argument.hasSuffix("/ostree-prepare-root"))
        }
    }

    public var commandLine: String { list.joined(separator: " ") }

    /// Adds `argument` (`KEY=VALUE` or `KEY`) at the end.
    public mutating func append(_ argument: String) {
        list.append(argument)
    }

    /// Removes `KEY=VALUE` exactly, or every `KEY`/`KEY=...` when only a key is given.
    public mutating func delete(_ argument: String) throws {
        let matches: (String) -> Bool = argument.contains("=")
            ? { $0 == argument }
            : { Self.key(of: $0) == argument }
        guard list.contains(where: matches) else {
            throw DeployError("kargs: '\(argument)' is not among the kernel arguments (\(commandLine))")
        }
        list.removeAll(where: matches)
    }

    /// Sets the value of `KEY=VALUE`'s key, which must be there already.
    public mutating func replace(_ argument: String) throws {
        let key = Self.key(of: argument)
        guard let index = list.firstIndex(where: { Self.key(of: $0) == key }) else {
            throw DeployError("kargs: '\(key)' is not among the kernel arguments (\(commandLine)); use --append")
        }
        list[index] = argument
        list.removeAll { Self.key(of: $0) == key && $0 != argument }
    }

    private static func key(of argument: String) -> String {
        argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
    }
}
