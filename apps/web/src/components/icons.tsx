// Inline SVG icons: no icon font or emoji font is needed (many systems lack one), and each
// is a few bytes. They are decorative: the buttons carry the accessible names.
const common = {
  width: 16,
  height: 16,
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 2,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
  'aria-hidden': true,
  focusable: false,
} as const;

export const PencilIcon = () => (
  <svg {...common}>
    <path d="M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4Z" />
  </svg>
);
export const TrashIcon = () => (
  <svg {...common}>
    <path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6M10 11v6M14 11v6" />
  </svg>
);
export const MenuIcon = () => (
  <svg {...common} width={20} height={20}>
    <path d="M3 6h18M3 12h18M3 18h18" />
  </svg>
);
export const FileIcon = () => (
  <svg {...common}>
    <path d="M14 3H6v18h12V7Z M14 3v4h4" />
  </svg>
);
export const ToolIcon = () => (
  <svg {...common}>
    <path d="M14.7 6.3a4 4 0 0 0-5.4 5.4L3 18l3 3 6.3-6.3a4 4 0 0 0 5.4-5.4l-2.5 2.5-2.5-.5-.5-2.5Z" />
  </svg>
);
export const PaperclipIcon = () => (
  <svg {...common}>
    <path d="m21 12-8.5 8.5a5 5 0 0 1-7-7L14 5a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 8" />
  </svg>
);
