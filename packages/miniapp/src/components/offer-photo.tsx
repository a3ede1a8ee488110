import { useState } from "react";
import { foodEmoji } from "../lib/format.ts";

/** The offer's photo, or a friendly placeholder when it has none or it fails to load. */
export function OfferPhoto({
  offer,
  large,
}: {
  offer: { id: number; photo_url: string | null; title: string };
  large?: boolean;
}) {
  const [failed, setFailed] = useState(false);
  const cls = large ? "photo large" : "photo";
  if (!offer.photo_url || failed)
    return (
      <div className={`${cls} placeholder`} data-hue={offer.id % 5} aria-hidden="true">
        {foodEmoji(offer.id)}
      </div>
    );
  return (
    <img
      className={cls}
      src={offer.photo_url}
      alt={offer.title}
      loading="lazy"
      decoding="async"
      onError={() => setFailed(true)}
    />
  );
}
