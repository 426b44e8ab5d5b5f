package dev.cloudrun.server.terminals;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceEntry;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.projects.ProjectPaths;
import dev.cloudrun.server.projects.ProjectService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps a project's saved files and its open workspace's files the same, both ways. It remembers
 * the size and SHA-256 of every file both sides agree on. An editor's save, delete or rename is
 * written into the workspace at once ({@link #written}, {@link #deleted}, {@link #moved}); what the
 * shell changed is found by {@link #fromWorkspace}: files whose size changed (every call) or whose
 * content hash changed (a full pass) are saved into the project, files gone from the workspace are
 * deleted from it. Files above the project's file limit, or that the project's limits refuse, stay in
 * the workspace only, and are reported once. One lock orders the two directions, so a poll never
 * copies an old shell file over a save that the editor made meanwhile.
 */
final class FileSync {
    /** Temporary files of the backends' own file operations, never project files. */
    private static final String BACKEND_TEMPORARY = ".cloudrun-";

    private record Known(long size, String hash) { }

    /**
     * What one pass found.
     *
     * @param changed project paths saved or deleted because the shell changed them
     * @param skipped newly skipped files: path to the reason
     */
    record Changes(List<String> changed, Map<String, String> skipped) {
        boolean isEmpty() {
            return changed.isEmpty() && skipped.isEmpty();
        }
    }

    private final Workspace workspace;
    private final ProjectService projects;
    private final Principal owner;
    private final String projectId;
    private final long maxFileBytes;
    private final Map<String, Known> known = new HashMap<>();
    /** Files left out of the project, with the size they had when reported. */
    private final Map<String, Long> skipped = new HashMap<>();

    /**
     * @param workspace the open workspace
     * @param projects saves into the project
     * @param owner the project's owner
     * @param projectId the project
     * @param maxFileBytes the project's file limit
     * @param saved the saved files the workspace started with
     */
    FileSync(Workspace workspace, ProjectService projects, Principal owner, String projectId, long maxFileBytes,
             Map<String, byte[]> saved) {
        this.workspace = workspace;
        this.projects = projects;
        this.owner = owner;
        this.projectId = projectId;
        this.maxFileBytes = maxFileBytes;
        saved.forEach((path, content) -> known.put(path, new Known(content.length, sha256(content))));
    }

    /**
     * Copies what the shell changed into the saved project.
     *
     * @param full whether to compare the content of every file, not only the sizes
     * @return what changed
     * @throws ApiError 404 if the project is gone
     */
    synchronized Changes fromWorkspace(boolean full) {
        List<String> changed = new ArrayList<>();
        Map<String, String> newlySkipped = new LinkedHashMap<>();
        Set<String> present = new HashSet<>();
        for (WorkspaceEntry entry : workspace.list()) {
            String path = entry.path();
            if (entry.directory() || isBackendTemporary(path)) {
                continue;
            }
            present.add(path);
            if (entry.size() > maxFileBytes) {
                if (!Long.valueOf(entry.size()).equals(skipped.put(path, entry.size()))) {
                    newlySkipped.put(path, "holds " + entry.size() + " bytes, more than a project file may ("
                            + maxFileBytes + "); it stays in the workspace only");
                }
                continue;
            }
            Known before = known.get(path);
            if (before != null && before.size() == entry.size() && !full) {
                continue;
            }
            byte[] content;
            try {
                content = workspace.read(path);
            } catch (InvalidRequestException e) {
                present.remove(path);
                continue;
            }
            Known now = new Known(content.length, sha256(content));
            if (now.equals(before)) {
                continue;
            }
            // Remembered even if the project refuses it: the same content is not tried again every poll.
            known.put(path, now);
            try {
                projects.writeFile(owner, projectId, ProjectPaths.normalize("path", path), content);
                skipped.remove(path);
                changed.add(path);
            } catch (ApiError e) {
                if (e.status() == 404) {
                    throw e;
                }
                newlySkipped.put(path, e.getMessage() + "; it stays in the workspace only");
                skipped.put(path, (long) content.length);
            } catch (InvalidRequestException e) {
                newlySkipped.put(path, e.getMessage());
            }
        }
        for (String path : new ArrayList<>(known.keySet())) {
            if (!present.contains(path)) {
                known.remove(path);
                try {
                    projects.deleteEntry(owner, projectId, ProjectPaths.normalize("path", path));
                    changed.add(path);
                } catch (ApiError e) {
                    // Not in the project (never saved there, or deleted by the editor meanwhile).
                }
            }
        }
        skipped.keySet().retainAll(present);
        return new Changes(changed, newlySkipped);
    }

    /**
     * An editor saved a file: the workspace gets it. If the workspace refuses it (its tree is full),
     * nothing is remembered, so the next poll does not copy the workspace's older file back.
     *
     * @param path the file
     * @param content its bytes
     */
    synchronized void written(String path, byte[] content) {
        workspace.write(path, content);
        known.put(path, new Known(content.length, sha256(content)));
        skipped.remove(path);
    }

    /** @param path a file or folder the editor deleted */
    synchronized void deleted(String path) {
        try {
            workspace.delete(path);
        } catch (InvalidRequestException e) {
            // Not in the workspace (the shell deleted it first).
        }
        known.keySet().removeIf(file -> ProjectPaths.isWithin(file, path));
    }

    /**
     * @param from what the editor renamed
     * @param to its new path
     */
    synchronized void moved(String from, String to) {
        try {
            workspace.rename(from, to);
        } catch (InvalidRequestException e) {
            return;
        }
        Map<String, Known> moved = new HashMap<>();
        known.entrySet().removeIf(entry -> {
            if (ProjectPaths.isWithin(entry.getKey(), from)) {
                moved.put(to + entry.getKey().substring(from.length()), entry.getValue());
                return true;
            }
            return false;
        });
        known.putAll(moved);
    }

    private static boolean isBackendTemporary(String path) {
        int slash = path.lastIndexOf('/');
        return path.startsWith(BACKEND_TEMPORARY, slash + 1);
    }

    private static String sha256(byte[] content) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new CloudRunException("the JDK has no SHA-256", e);
        }
    }
}
