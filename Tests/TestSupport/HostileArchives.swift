import Foundation

/// Payloads that rpmbuild refuses to make, for checking that extraction rejects them.
public enum HostileArchives {
    /// Writes a cpio archive in the newc format (the one inside RPM payloads) holding the
    /// regular file `./usr/share/ok`, then a regular file named `hostileName`, such as
    /// `../../etc/evil`, `/etc/evil` or `./usr/../../evil`.
    ///
    /// The archive is written here rather than by bsdtar or cpio because those refuse, or
    /// rewrite, exactly the names this fixture is about.
    public static func writeCpio(to path: String, hostileName: String) throws {
        var archive = NewcArchive()
        archive.appendFile(named: "./usr/share/ok", contents: "ok\n")
        archive.appendFile(named: hostileName, contents: "escaped the root\n")
        try archive.finished().write(to: URL(fileURLWithPath: path))
    }
}

/// A cpio archive in the "new ASCII" (newc, magic 070701) format, built in memory.
private struct NewcArchive {
    private var bytes = Data()
    private var nextInode = 1

    /// Appends a regular file, mode 0644, owned by 0:0.
    mutating func appendFile(named name: String, contents: String) {
        append(name: name, mode: 0o100644, nlink: 1, data: Data(contents.utf8))
    }

    /// The archive with its `TRAILER!!!` entry.
    mutating func finished() -> Data {
        append(name: "TRAILER!!!", mode: 0, nlink: 1, data: Data(), inode: 0)
        return bytes
    }

    private mutating func append(name: String, mode: Int, nlink: Int, data: Data, inode: Int? = nil) {
        let nameBytes = Data(name.utf8) + [0]
        let fields = [
            inode ?? nextInode, mode, 0 /* uid */, 0 /* gid */, nlink, 0 /* mtime */, data.count,
            0, 0 /* dev major, minor */, 0, 0 /* rdev major, minor */, nameBytes.count, 0 /* check */,
        ]
        if inode == nil { nextInode += 1 }
        bytes += Data("070701".utf8)
        for field in fields {
            bytes += Data(String(format: "%08X", field).utf8)
        }
        bytes += nameBytes
        padToFourBytes()
        bytes += data
        padToFourBytes()
    }

    /// newc aligns both the header-plus-name and the file data to four bytes.
    private mutating func padToFourBytes() {
        bytes += Data(count: (4 - bytes.count % 4) % 4)
    }
}
