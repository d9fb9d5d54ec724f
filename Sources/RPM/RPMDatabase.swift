import CLibRPM
import Foundation
import ToolSupport

/// Writes the rpmdb of a tree whose files were put in place by other means (hard-link
/// checkouts): rpm's `--justdb` install of the headers, so that `rpm -qa --dbpath` on the tree
/// lists exactly what was installed.
public enum RPMDatabase {
    /// The database path inside a tree.
    public static var pathInTree: String { RPMLibrary.databasePath }

    /// Records `headers` as installed in the database under `root` + `/usr/share/rpm`; with
    /// `replacing`, whatever database was there is dropped first, otherwise they are added.
    public static func write(headers: [RPMHeader], root: String, replacing: Bool) throws {
        try runJustDatabaseTransaction(headers: headers, root: root, replacing: replacing)
        // Only once librpm has let go of the database may its side files go.
        try checkpointSQLite(in: root + RPMLibrary.databasePath)
    }

    private static func runJustDatabaseTransaction(headers: [RPMHeader], root: String, replacing: Bool) throws {
        try RPMLibrary.withLibrary { try runLocked(headers: headers, root: root, replacing: replacing) }
    }

    private static func runLocked(headers: [RPMHeader], root: String, replacing: Bool) throws {
        let dbDirectory = root + RPMLibrary.databasePath
        if replacing { try? FileManager.default.removeItem(atPath: dbDirectory) }
        try FileManager.default.createDirectory(atPath: dbDirectory, withIntermediateDirectories: true)
        try withTransactionSet(database: dbDirectory) { ts in try recordInstalled(headers, in: ts, database: dbDirectory) }
    }

    /// A transaction set whose database is `database`, a tree's `/usr/share/rpm`.
    ///
    /// With a root directory other than /, librpm chroot()s the whole process while a
    /// transaction runs, and every other thread sees the tree as /. The database path points
    /// into the tree instead and the root stays /; --justdb touches no other file.
    static func withTransactionSet<R>(database: String, _ body: (rpmts) throws -> R) throws -> R {
        let ts = rpmtsCreate()!
        defer { rpmtsFree(ts) }
        rpmPushMacro(nil, "_dbpath", nil, database, RMIL_CMDLINE)
        defer { rpmPopMacro(nil, "_dbpath") }
        guard rpmtsSetRootDir(ts, "/") == 0 else { throw RPMError(database, "librpm refused the root directory") }
        return try body(ts)
    }

    /// Records `headers` as installed (`--justdb`) in the database of `ts`.
    private static func recordInstalled(_ headers: [RPMHeader], in ts: rpmts, database dbDirectory: String) throws {
        guard rpmtsInitDB(ts, 0o644) == 0 else { throw RPMError(dbDirectory, "cannot create the rpm database") }
        let flags = RPMTRANS_FLAG_JUSTDB.rawValue | RPMTRANS_FLAG_NOSCRIPTS.rawValue
            | RPMTRANS_FLAG_NOTRIGGERS.rawValue | RPMTRANS_FLAG_NOCONTEXTS.rawValue
        rpmtsSetFlags(ts, rpmtransFlags(flags))
        // The headers come from the cache or were generated; the files were checked when
        // imported. rpm must not ask for payloads or signatures it has no way to see here.
        let noChecks = RPMVSF_NOHDRCHK.rawValue | RPMVSF_NOSHA1HEADER.rawValue | RPMVSF_NOSHA256HEADER.rawValue
            | RPMVSF_NOPAYLOAD.rawValue | RPMVSF_NOMD5.rawValue | RPMVSF_NODSAHEADER.rawValue
            | RPMVSF_NORSAHEADER.rawValue | RPMVSF_NODSA.rawValue | RPMVSF_NORSA.rawValue
        rpmtsSetVSFlags(ts, rpmVSFlags(noChecks))
        rpmtsSetVfyLevel(ts, 0)
        // librpm reads each package from a file even with --justdb: it gets header-only ones,
        // made in memory as it asks for each (the key is the header's index, plus one: not nil).
        for (index, header) in headers.enumerated() {
            guard rpmtsAddInstallElement(ts, header.handle, UnsafeRawPointer(bitPattern: index + 1), 0, nil) == 0 else {
                throw RPMError(header.nevra, "librpm refused to record the package")
            }
        }
        let packages = HeaderOnlyPackages(headers)
        rpmtsSetNotifyCallback(ts, justDatabaseNotify, Unmanaged.passUnretained(packages).toOpaque())
        let problemFilter = RPMPROB_FILTER_REPLACEPKG.rawValue | RPMPROB_FILTER_REPLACENEWFILES.rawValue
            | RPMPROB_FILTER_REPLACEOLDFILES.rawValue | RPMPROB_FILTER_OLDPACKAGE.rawValue
            | RPMPROB_FILTER_DISKSPACE.rawValue | RPMPROB_FILTER_DISKNODES.rawValue
            | RPMPROB_FILTER_IGNOREARCH.rawValue | RPMPROB_FILTER_IGNOREOS.rawValue
        // Opened here (rpmtsRun keeps a database it finds open in the mode it wants) and held
        // under one lock, the database takes every package in one SQLite transaction: librpm
        // commits each package on its own otherwise, an fdatasync each (2,000 packages: 2,000
        // syncs, seconds). The tree is made durable by its commit, not here.
        guard rpmtsOpenDB(ts, O_RDWR | O_CREAT) == 0, let database = rpmtsGetRdb(ts) else {
            throw RPMError(dbDirectory, "cannot open the rpm database")
        }
        defer { rpmtsCloseDB(ts) }
        rpmdbCtrl(database, RPMDB_CTRL_LOCK_RW)
        defer { rpmdbCtrl(database, RPMDB_CTRL_UNLOCK_RW) }
        do {
            try withExtendedLifetime(packages) { try runTransaction(ts, problemFilter: problemFilter, database: dbDirectory) }
        } catch {
            throw packages.failure ?? error
        }
    }

    /// Runs a prepared transaction; a failure names librpm's problems.
    static func runTransaction(_ ts: rpmts, problemFilter: UInt32, database: String) throws {
        let rc = rpmtsRun(ts, nil, rpmprobFilterFlags(problemFilter))
        guard rc != 0 else { return }
        var detail = "rpmtsRun failed (\(rc))"
        if let problems = rpmtsProblems(ts) {
            defer { rpmpsFree(problems) }
            let iterator = rpmpsInitIterator(problems)
            var lines: [String] = []
            while rpmpsNextIterator(iterator) >= 0 {
                if let problem = rpmpsGetProblem(iterator), let text = rpmProblemString(problem) {
                    lines.append(String(cString: text))
                    free(text)
                }
            }
            rpmpsFreeIterator(iterator)
            if !lines.isEmpty { detail = lines.joined(separator: "; ") }
        }
        throw RPMError(database, "writing the rpm database failed: \(detail)")
    }

    /// rpm 4.18 keeps SQLite `-wal`/`-shm` files beside the database; a tree must hold the
    /// complete database alone. The database is then switched from WAL to rollback-journal
    /// mode (bytes 18 and 19 of the header, as `PRAGMA journal_mode=DELETE` records it): a
    /// WAL database cannot even be read where its directory is read-only, as `/usr` is in a
    /// deployment.
    static func checkpointSQLite(in directory: String) throws {
        defer { try? leaveWriteAheadLogMode(directory + "/rpmdb.sqlite") }
        for suffix in ["-wal", "-shm"] {
            let path = directory + "/rpmdb.sqlite" + suffix
            if FileManager.default.fileExists(atPath: path) {
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                if suffix == "-wal" && size > 0 {
                    throw RPMError(directory, "rpm database left an unmerged write-ahead log")
                }
                try FileManager.default.removeItem(atPath: path)
            }
        }
    }
}

/// Marks a checkpointed SQLite database as rollback-journal mode.
private func leaveWriteAheadLogMode(_ path: String) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: 18)
    guard let versions = try handle.read(upToCount: 2), versions == Data([2, 2]) else { return }
    try handle.seek(toOffset: 18)
    try handle.write(contentsOf: Data([1, 1]))
}

/// The header-only packages of a `--justdb` transaction, made one at a time as librpm asks.
private final class HeaderOnlyPackages {
    let headers: [RPMHeader]
    /// The one librpm has open.
    var open: FD_t?
    /// Why one could not be made: librpm says only that the transaction failed.
    var failure: Error?

    init(_ headers: [RPMHeader]) { self.headers = headers }
}

/// Opens and closes the header-only packages librpm asks for; `data` is their
/// `HeaderOnlyPackages`, `key` a header's index plus one.
private let justDatabaseNotify: rpmCallbackFunction = { _, what, _, _, key, data in
    let packages = Unmanaged<HeaderOnlyPackages>.fromOpaque(data!).takeUnretainedValue()
    switch what {
    case RPMCALLBACK_INST_OPEN_FILE:
        guard let key, case let index = Int(bitPattern: key) - 1, packages.headers.indices.contains(index) else { return nil }
        do {
            packages.open = try HeaderOnlyPackage.inMemory(packages.headers[index])
        } catch {
            packages.failure = packages.failure ?? error
            return nil
        }
        return UnsafeMutableRawPointer(packages.open)
    case RPMCALLBACK_INST_CLOSE_FILE:
        if let fd = packages.open { Fclose(fd) }
        packages.open = nil
        return nil
    default:
        return nil
    }
}

extension RPMDatabase {
    /// Runs `body` (another library opening a tree's database through librpm, as libsolv
    /// does) with librpm held and its database path pinned to `/usr/share/rpm`.
    public static func whileDatabasePathIsPinned<R>(_ body: () throws -> R) rethrows -> R {
        try RPMLibrary.withLibrary(body)
    }
}
