import Foundation
import OSTree
import ToolSupport

/// What `harness publish` puts where.
public struct PublishOptions: Sendable {
    /// The repository the commits come from.
    public var source: String
    /// The served directory (see `PublishedDirectory`).
    public var destination: String
    public var refs: [String]
    /// Parent commits of each ref kept besides its head (ostree's `--depth`).
    public var depth = 2
    /// Static deltas to each head from this many of its previous commits.
    public var deltas = 1
    /// Commits (or refs) outside the refs' history to make a delta from too (what clients run now).
    public var deltaFrom: [String] = []
    /// Signs the summary (commits are signed when composed).
    public var signer: GPGSigner?

    public init(source: String, destination: String, refs: [String]) {
        self.source = source
        self.destination = destination
        self.refs = refs
    }
}

/// What a publish left served.
public struct PublishResult: Codable, Sendable, Equatable {
    /// Each published ref and its commit.
    public var refs: [String: String]
    /// The static deltas served (`FROM-TO`), sorted.
    public var deltas: [String]
    /// Whether the summary is signed.
    public var signed: Bool
    /// False when the directory already served exactly this and nothing was written.
    public var changed: Bool
    /// The generation `--to` points at.
    public var generation: Int
}

/// Publishes refs of a repository as a static directory for clients: an archive repository
/// with the refs' commits (history to `depth`), static deltas to each head, and a summary,
/// signed, that lists both, made in a new generation of the directory and switched to in one
/// rename (`PublishedDirectory`), so a client never sees a summary that names objects not
/// there yet, and an interrupted publish leaves the previous state served.
public struct Publisher {
    public let options: PublishOptions

    public init(options: PublishOptions) {
        self.options = options
    }

    public func publish() throws -> PublishResult {
        guard !options.refs.isEmpty else { throw PublishError("publish: no ref named") }
        guard options.depth >= 0, options.deltas >= 0 else { throw PublishError("publish: --depth and --deltas must not be negative") }
        let source = try OSTreeRepository.open(at: options.source)
        var heads: [String: String] = [:]
        for ref in options.refs {
            guard let commit = try source.resolve(ref) else { throw PublishError("\(ref): no such ref in \(options.source)") }
            heads[ref] = commit
        }
        let deltaSources = try options.deltaFrom.map { revision in
            guard let commit = try source.resolve(revision), source.hasCommit(commit) else {
                throw PublishError("--delta-from \(revision): no such commit in \(options.source)")
            }
            return commit
        }
        if let signer = options.signer { try signer.checkSecretKey() }
        let wanted = try wantedDeltas(heads: heads, from: deltaSources, in: source)

        let directory = PublishedDirectory(path: options.destination)
        try FileManager.default.createDirectory(atPath: directory.store, withIntermediateDirectories: true)
        let lock = try DirectoryLock(directory: directory.store, purpose: "publish")
        defer { withExtendedLifetime(lock) {} }
        let current = try directory.current()
        directory.removeGenerations(except: current)
        if let current, let served = try servedState(of: directory.generationPath(current), heads: heads, wanted: wanted, source: source) {
            Console.progress("\(options.destination) already serves \(heads.keys.sorted().joined(separator: ", ")): nothing to do")
            return PublishResult(refs: heads, deltas: served, signed: options.signer != nil, changed: false, generation: current)
        }

        let next = (current ?? 0) + 1
        let path = directory.generationPath(next)
        do {
            if let current {
                Console.progress("Preparing generation \(next) from \(current)")
                try directory.makeGeneration(next, from: current)
            } else {
                _ = try OSTreeRepository.openOrCreate(at: path, mode: .archive)
            }
            let repository = try OSTreeRepository.open(at: path)
            try fill(repository, heads: heads, wanted: wanted, source: source)
            Failpoint.hit("publish-before-switch")
            try directory.switchTo(next)
        } catch {
            FileTree.removeRecursively(path)
            throw error
        }
        directory.removeGenerations(except: next)
        let deltas = try OSTreeRepository.open(at: options.destination).staticDeltaNames().sorted()
        Console.progress("Published \(heads.map { "\($0.key) \($0.value.prefix(12))" }.sorted().joined(separator: ", ")) "
                         + "to \(options.destination) (generation \(next), \(deltas.count) static deltas)")
        return PublishResult(refs: heads, deltas: deltas, signed: options.signer != nil, changed: true, generation: next)
    }

    /// Objects first (commits with their history, signatures and certifications as the source
    /// has them now), then deltas, pruning, and the summary last.
    private func fill(_ repository: OSTreeRepository, heads: [String: String], wanted: Set<String>,
                      source: OSTreeRepository) throws {
        // A delta carries its target's detached metadata: one made before the target was
        // signed (or certified) again would hand out the old signatures.
        let resigned = try history(of: Array(heads.values), in: repository).filter {
            try repository.detachedMetadataBytes(of: $0) != source.detachedMetadataBytes(of: $0)
        }
        Console.progress("Copying \(heads.keys.sorted().joined(separator: ", ")) with \(options.depth) parents")
        try repository.mirror(heads, depth: max(options.depth, options.deltas), from: options.source)
        let extraSources = Set(wanted.map { String($0.split(separator: "-")[0]) }).filter { !repository.hasCommit($0) }
        if !extraSources.isEmpty { try repository.pullLocal(from: source, commits: extraSources.sorted()) }
        for commit in try history(of: Array(heads.values), in: repository) {
            try repository.copyDetachedMetadata(of: commit, from: source)
        }
        for commit in resigned { try repository.deleteStaticDeltas(to: commit) }
        let existing = Set(try repository.staticDeltaNames())
        for delta in wanted.subtracting(existing).sorted() {
            let parts = delta.split(separator: "-").map(String.init)
            Console.progress("Generating the static delta \(parts[0].prefix(12)) → \(parts[1].prefix(12))")
            try repository.generateStaticDelta(from: parts[0], to: parts[1])
        }
        // Deltas to commits that no published ref points at any more.
        let headCommits = Set(heads.values).union(try repository.refs().values)
        for target in Set(existing.compactMap { $0.split(separator: "-").last.map(String.init) }).subtracting(headCommits) {
            try repository.deleteStaticDeltas(to: target)
        }
        let pruned = try repository.prune(depth: options.depth)
        if pruned > 0 { Console.progress("Pruned \(pruned) objects beyond a depth of \(options.depth)") }
        try repository.regenerateSummary()
        if let signer = options.signer { try repository.signSummary(with: signer) }
    }

    /// `FROM-TO` for each head and each of its `deltas` previous commits the source has, and
    /// each of `extraSources`.
    private func wantedDeltas(heads: [String: String], from extraSources: [String], in source: OSTreeRepository) throws -> Set<String> {
        var wanted: Set<String> = []
        for head in Set(heads.values) {
            var commit = head
            for _ in 0..<options.deltas {
                guard let parent = try source.commit(commit).parent, source.hasCommit(parent) else { break }
                wanted.insert("\(parent)-\(head)")
                commit = parent
            }
            for from in extraSources where from != head { wanted.insert("\(from)-\(head)") }
        }
        return wanted
    }

    /// The heads and their parents within `depth` that `repository` has.
    private func history(of heads: [String], in repository: OSTreeRepository) throws -> [String] {
        var commits: [String] = []
        for head in heads {
            var next: String? = head
            for _ in 0...options.depth {
                guard let commit = next, repository.hasCommit(commit) else { break }
                commits.append(commit)
                next = try repository.commit(commit).parent
            }
        }
        return commits
    }

    /// The served deltas when the generation at `path` already serves exactly this publish
    /// (refs, deltas, detached metadata, signed summary or not); nil when anything differs.
    private func servedState(of path: String, heads: [String: String], wanted: Set<String>,
                             source: OSTreeRepository) throws -> [String]? {
        let served = try OSTreeRepository.open(at: path)
        let refs = try served.refs()
        guard heads.allSatisfy({ refs[$0.key] == $0.value }) else { return nil }
        let deltas = Set(try served.staticDeltaNames())
        guard wanted.isSubset(of: deltas) else { return nil }
        let signed = FileManager.default.fileExists(atPath: path + "/summary.sig")
        guard signed == (options.signer != nil), FileManager.default.fileExists(atPath: path + "/summary") else { return nil }
        for commit in try history(of: Array(heads.values), in: served)
        where try served.detachedMetadataBytes(of: commit) != source.detachedMetadataBytes(of: commit) {
            return nil
        }
        return deltas.sorted()
    }
}
