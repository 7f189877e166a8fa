export default function EditorPage() {
  return (
    <main className="page">
      <h1>Editor</h1>
      <p>Coming next.</p>
    </main>
  );
}
