import { useState } from "react";

/** Our own photos come in two sizes: lists show the small one. */
const smallCopy = (url: string) => url.replace(/^(\/photos\/\d+\/)large\.webp$/, "$1small.webp");

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
        {offer.title.trim().slice(0, 1).toUpperCase()}
      </div>
    );
  return (
    <img
      className={cls}
      src={large ? offer.photo_url : smallCopy(offer.photo_url)}
      alt={offer.title}
      loading="lazy"
      decoding="async"
      onError={() => setFailed(true)}
    />
  );
}
