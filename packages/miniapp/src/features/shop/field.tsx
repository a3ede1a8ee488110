import type { ReactNode } from "react";

/** A labelled field with its error beside it (the input carries aria-invalid itself). */
export function Field(props: {
  label: string;
  error?: string | undefined;
  name: string;
  children: ReactNode;
}) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the field's child
    <label className="field">
      <span>{props.label}</span>
      {props.children}
      {props.error && (
        <small className="field-error" data-testid={`error-${props.name}`}>
          {props.error}
        </small>
      )}
    </label>
  );
}
