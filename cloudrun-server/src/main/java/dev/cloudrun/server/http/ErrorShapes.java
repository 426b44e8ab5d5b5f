package dev.cloudrun.server.http;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * How a refusal made before a handler runs (a body over the limit) is written, by path: CloudRun's
 * {@link ErrorBody} by default, a compatible API's own error shape under that API's paths, so that its
 * clients read the answer they know (Judge0 {@code {"error": ...}}, Piston {@code {"message": ...}}, Jobe a
 * JSON string).
 */
public final class ErrorShapes {
    private record Shape(String prefix, Function<String, Object> body) { }

    private final List<Shape> shapes;

    private ErrorShapes(List<Shape> shapes) {
        this.shapes = List.copyOf(shapes);
    }

    /** @return CloudRun's shape on every path */
    public static ErrorShapes cloudRun() {
        return new ErrorShapes(List.of());
    }

    /**
     * @param prefix a path prefix ({@code /judge0}; {@code /} for every path)
     * @param body turns a refusal's sentence into the JSON value to send
     * @return these shapes and that one; the longest matching prefix wins
     */
    public ErrorShapes with(String prefix, Function<String, Object> body) {
        List<Shape> more = new ArrayList<>(shapes);
        more.add(new Shape(prefix, body));
        return new ErrorShapes(more);
    }

    /**
     * @param path the request's path
     * @param code CloudRun's error code
     * @param message the sentence
     * @param field the field at fault, or null
     * @return the JSON value to send
     */
    public Object body(String path, String code, String message, String field) {
        Shape best = null;
        for (Shape shape : shapes) {
            if (matches(path, shape.prefix()) && (best == null || shape.prefix().length() > best.prefix().length())) {
                best = shape;
            }
        }
        return best == null ? ErrorBody.of(code, message, field) : best.body().apply(message);
    }

    private static boolean matches(String path, String prefix) {
        return prefix.equals("/") || path.equals(prefix) || path.startsWith(prefix + "/");
    }
}
