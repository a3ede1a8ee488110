import { useEffect, useRef } from "react";
import { Spinner } from "./ui.tsx";

/** Infinite scroll: calls `onMore` when the end of the list comes near, while there is more to load. */
export function MoreOnScroll({
  hasMore,
  busy,
  onMore,
  label,
}: {
  hasMore: boolean;
  busy: boolean;
  onMore: () => void;
  label: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const latest = useRef(onMore);
  latest.current = onMore;
  useEffect(() => {
    const el = ref.current;
    if (!el || !hasMore || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) latest.current();
      },
      { rootMargin: "600px 0px" },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [hasMore]);
  if (!hasMore) return null;
  return (
    <div ref={ref} className="more-on-scroll" data-testid="load-more">
      {busy && (
        <>
          <Spinner /> {label}
        </>
      )}
    </div>
  );
}
