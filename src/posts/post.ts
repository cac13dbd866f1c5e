/** A post as the rest of the pipeline sees it: validated, plain data, safe strings. */
export interface Post {
  /** Stable identity across edits; lower-case. A post is sent once per cadence, keyed by this. */
  slug: string;
  title: string;
  date: Date;
  author: string;
  categories: string[];
  tags: string[];
  excerpt: string;
  url: string;
  image?: { src: string; alt: string | undefined };
  draft: boolean;
  /** Path relative to the posts folder, for messages; for a feed item, `feed: <name>`. */
  file: string;
  /** Where the post came from when not a Markdown file in the posts folder. */
  source?: PostSource;
}

/** A feed item: which configured feed it came from (its URL is its identity, the name is for people). */
export interface PostSource {
  kind: 'feed';
  feedUrl: string;
  feedName: string;
}

/** Something wrong with one post file, pinned to a line so an editor can jump to it. */
export interface ContentProblem {
  /** Path relative to the posts folder. */
  file: string;
  /** The posts folder's own name (set by collectPosts), shown before the file in messages. */
  folder?: string;
  line: number;
  message: string;
  /** Warnings are shown by `digest check` but do not keep a post out of the digest. */
  severity: 'error' | 'warning';
}

export function formatProblem(problem: ContentProblem): string {
  return `${problem.folder ? `${problem.folder}/` : ''}${problem.file}:${problem.line}: ${problem.message}`;
}
