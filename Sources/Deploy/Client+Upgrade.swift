import Foundation
import OSTree
import RPM
import ToolSupport

/// What `upgrade --check` or `--preview` found.
public struct AvailableUpdate: Sendable {
    public var commit: String
    public var version: String?
    /// Package changes between the current base and the new one (from the commits' package
    /// lists), when a preview was asked for.
    public var packageDiff: PackageDiff?
}

extension Client {
    /// Pulls the newest commit of the default deployment's branch and deploys it with the
    /// origin's packages and overrides applied again. Returns nil when there is nothing newer.
    public func upgrade() throws -> OSTreeDeployment? {
        let start = try defaultDeployment()
        var origin = try origin(of: start)
        let head = try pullHead(of: origin, commitOnly: false)
        if head == (try baseCommit(of: start.checksum)) && origin.overrideCommit == nil { return nil }
        origin.overrideCommit = nil
        return try deploy(base: head, origin: origin)
    }

    /// Looks for a newer commit without deploying it: only commit objects are fetched.
    public func checkForUpgrade(preview: Bool) throws -> AvailableUpdate? {
        let start = try defaultDeployment()
        let head = try pullHead(of: try origin(of: start), commitOnly: true)
        let base = try baseCommit(of: start.checksum)
        guard head != base else { return nil }
        let info = try repository.commit(head)
        let diff = preview ? PackageDiff(from: base, try commitPackageList(base), to: head, try commitPackageList(head)) : nil
        return AvailableUpdate(commit: head, version: info.metadata["version"]?.stringValue, packageDiff: diff)
    }

    /// Deploys a given commit (a checksum) or version (the `version` of a commit in the
    /// branch's history) of the default deployment's branch, layers applied again. The
    /// origin holds it there (`override-commit`) until the next upgrade.
    public func deploy(revision: String) throws -> OSTreeDeployment {
        let start = try defaultDeployment()
        var origin = try origin(of: start)
        let remote = try remote(of: origin)
        let commit = try findRevision(revision, remote: remote, ref: origin.ref)
        Console.progress("Pulling \(commit)")
        lastFetch = try repository.pull(remote: remote, OSTreeRepository.PullRequest(ref: origin.ref, commit: commit))
        origin.overrideCommit = commit
        return try deploy(base: commit, origin: origin)
    }

    /// Switches the default deployment to another branch (`remote:ref`, or `ref` of the same
    /// remote), layers applied again.
    public func rebase(to refspec: String) throws -> OSTreeDeployment {
        let start = try defaultDeployment()
        var origin = try origin(of: start)
        origin.refspec = refspec.contains(":") ? refspec : (origin.remote.map { "\($0):" } ?? "") + refspec
        origin.overrideCommit = nil
        let head: String
        if origin.remote != nil {
            head = try pullHead(of: origin, commitOnly: false)
        } else {
            guard let local = try repository.resolve(origin.refspec) else {
                throw DeployError("rebase: branch '\(origin.refspec)' not found")
            }
            head = local
        }
        return try deploy(base: head, origin: origin)
    }

    /// Pulls the head of the origin's branch from its remote (only the commit object with
    /// `commitOnly`) and returns it.
    private func pullHead(of origin: Origin, commitOnly: Bool) throws -> String {
        let remote = try remote(of: origin)
        Console.progress("Pulling \(origin.refspec)")
        lastFetch = try repository.pull(remote: remote, OSTreeRepository.PullRequest(ref: origin.ref, commitOnly: commitOnly))
        guard let head = try repository.resolve(origin.refspec) else {
            throw DeployError("\(origin.refspec): the remote has no such branch")
        }
        return head
    }

    private func remote(of origin: Origin) throws -> String {
        guard let remote = origin.remote else {
            throw DeployError("origin '\(origin.refspec)' names no remote: there is nowhere to fetch updates from")
        }
        guard repository.remotes().contains(remote) else {
            throw DeployError("origin '\(origin.refspec)': no remote '\(remote)' is configured in \(sysroot.repositoryPath)")
        }
        return remote
    }

    /// A full checksum as it is; otherwise the newest commit of the branch's history whose
    /// `version` is `revision` (commit objects of the whole history are fetched to look).
    private func findRevision(_ revision: String, remote: String, ref: String) throws -> String {
        let isChecksum = revision.count == 64 && revision.allSatisfy(\.isHexDigit)
        if isChecksum { return revision.lowercased() }
        try repository.pull(remote: remote, OSTreeRepository.PullRequest(ref: ref, commitOnly: true, depth: -1))
        var next = try repository.resolve("\(remote):\(ref)")
        while let commit = next {
            let info = try repository.commit(commit)
            if info.metadata["version"]?.stringValue == revision { return commit }
            next = info.parent.flatMap { repository.hasCommit($0) ? $0 : nil }
        }
        throw DeployError("deploy: no commit of \(remote):\(ref) has version '\(revision)'")
    }
}
