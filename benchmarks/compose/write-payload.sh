#!/usr/bin/env bash
# write-payload.sh BUILDROOT NAME BYTES SEED [KIND]
#
# Writes the files of one synthetic package under BUILDROOT (rpmbuild's %{buildroot}); called
# from the %install section of the specs that generate-packages.sh writes. About 45% of BYTES
# is random (incompressible, like machine code) and the rest is word-salad text spread over
# many small files under /usr/share/NAME (compressible about as well as documentation, locale
# and data files are). KIND "program" (the default) puts the random bytes in an executable, a
# shared library and plugins under /usr/bin and /usr/lib/NAME; KIND "data" puts them in blobs
# under /usr/share/NAME/blobs (as fonts, firmware or game data packages hold them). SEED makes
# the text and the file sizes reproducible; the random bytes are not, and need not be.
set -euo pipefail

buildroot=$1
name=$2
bytes=$3
seed=$4
kind=${5:-program}

write_random_file() {
    local path=$1 size=$2
    head -c "$size" /dev/urandom >"$path"
}

# The executable, the library and its development symlink, and the plugins: real packages
# keep most of their machine code in a few files, so these are few and comparatively large.
write_machine_code() {
    local random_bytes=$1
    local binary_size=$((random_bytes * 3 / 10))
    local library_size=$((random_bytes * 4 / 10))
    local plugin_bytes=$((random_bytes - binary_size - library_size))
    mkdir -p "$buildroot/usr/bin" "$buildroot/usr/lib/$name/plugins"
    write_random_file "$buildroot/usr/bin/$name" "$binary_size"
    chmod 0755 "$buildroot/usr/bin/$name"
    write_random_file "$buildroot/usr/lib/$name/lib$name.so.1" "$library_size"
    ln -s "lib$name.so.1" "$buildroot/usr/lib/$name/lib$name.so"
    # Plugins of about 48 KiB each: one for a small package, a dozen or more for a large one.
    local plugin_count=$((plugin_bytes / 49152 + 1))
    local plugin_size=$((plugin_bytes / plugin_count))
    local index
    for ((index = 0; index < plugin_count; index++)); do
        write_random_file "$buildroot/usr/lib/$name/plugins/plugin-$index.so" "$plugin_size"
    done
}

# Blobs of about 48 KiB under /usr/share/NAME/blobs, for a data package.
write_blobs() {
    local random_bytes=$1
    local count=$((random_bytes / 49152 + 1))
    local size=$((random_bytes / count)) index
    mkdir -p "$buildroot/usr/share/$name/blobs"
    for ((index = 0; index < count; index++)); do
        write_random_file "$buildroot/usr/share/$name/blobs/blob-$index.bin" "$size"
    done
}

# Text files of 512 B to 16 KiB (log-uniform, so most are small) in a handful of
# subdirectories, until `text_bytes` are written. One awk process writes all of them: a
# process per file would make generating ten thousand files slow.
write_text_files() {
    local text_bytes=$1
    mkdir -p "$buildroot/usr/share/$name" "$buildroot/usr/share/doc/$name"
    awk -v root="$buildroot/usr/share/$name" -v doc="$buildroot/usr/share/doc/$name/README" \
        -v total="$text_bytes" -v seed="$seed" '
        function word() { return words[1 + int(rand() * nwords)] }
        # Prose lines and key = value lines with numbers: compresses about 3-5x with zstd.
        function line(   text, count, i) {
            if (rand() < 0.5) {
                text = word()
                count = 5 + int(rand() * 10)
                for (i = 1; i < count; i++) text = text " " word()
                return text "."
            }
            return sprintf("%s_%s_%d = %s %d 0x%06x", word(), word(), int(rand() * 1000),
                           word(), int(rand() * 100000), int(rand() * 16777216))
        }
        function write_file(path, size,   written, text) {
            written = 0
            while (written < size) {
                text = line()
                if (written + length(text) + 1 > size) text = substr(text, 1, size - written - 1)
                print text > path
                written += length(text) + 1
            }
            close(path)
            return written
        }
        BEGIN {
            srand(seed)
            nwords = split("the of and to in is for on with that by this be are from at as " \
                "config value buffer socket thread module parser render cache index table " \
                "stream packet kernel driver device option handler request response session " \
                "timeout retry schema locale message format encode decode compress archive " \
                "signature checksum manifest package version release depend require provide " \
                "install remove upgrade service daemon listener mount journal network address " \
                "interface protocol cipher certificate context pointer allocate reclaim free", words, " ")
            ndirs = split("data help templates locale/de/LC_MESSAGES locale/fr/LC_MESSAGES " \
                "locale/ja/LC_MESSAGES examples schemas icons/hicolor", dirs, " ")
            written = write_file(doc, total < 2048 ? 1 : 2048)
            for (file = 0; written < total; file++) {
                size = int(exp(log(512) + rand() * (log(16384) - log(512))))
                if (size > total - written) size = total - written
                dir = root "/" dirs[1 + int(rand() * ndirs)]
                if (!(dir in made)) { system("mkdir -p \"" dir "\""); made[dir] = 1 }
                written += write_file(sprintf("%s/%s-%04d.txt", dir, "part", file), size)
            }
        }'
}

random_bytes=$((bytes * 45 / 100))
if [[ "$kind" == data ]]; then
    write_blobs "$random_bytes"
else
    write_machine_code "$random_bytes"
fi
write_text_files "$((bytes - random_bytes))"
